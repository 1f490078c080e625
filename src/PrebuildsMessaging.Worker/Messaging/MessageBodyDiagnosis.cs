using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>
/// Says in one line what is wrong with a message body that could not be read as its type: not JSON, JSON
/// null, not an object, or which field has the wrong kind of value. A body in MassTransit's envelope is
/// judged by its <c>message</c>. Falls back to the reader's own message when it finds nothing more precise.
/// </summary>
public static class MessageBodyDiagnosis
{
    public static string Describe(Type messageType, ReadOnlySpan<byte> body, string? contentType, Exception readError)
    {
        ArgumentNullException.ThrowIfNull(messageType);
        ArgumentNullException.ThrowIfNull(readError);
        var name = messageType.Name;
        var example = $"a JSON object such as {{\"{JsonNamingPolicy.CamelCase.ConvertName(FirstGuidProperty(messageType) ?? "organizationId")}\": \"<GUID>\"}}";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException ex)
        {
            return $"The {name} message body is not JSON ({ex.Message}); expected {example}.";
        }

        using (document)
        {
            var message = document.RootElement;
            if (contentType?.Contains("masstransit", StringComparison.OrdinalIgnoreCase) == true
                && message.ValueKind == JsonValueKind.Object && message.TryGetProperty("message", out var inner))
            {
                message = inner;
            }

            if (message.ValueKind != JsonValueKind.Object)
            {
                return $"The {name} message body is {Described(message)}; expected {example}.";
            }

            foreach (var property in message.EnumerateObject())
            {
                var target = messageType.GetProperty(property.Name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                if (target is not null && Problem(Nullable.GetUnderlyingType(target.PropertyType) ?? target.PropertyType, property.Value) is { } problem)
                {
                    return $"{name}.{property.Name} {problem}.";
                }
            }
        }

        return $"The {name} message could not be read: {readError.Message}";
    }

    private static string? Problem(Type type, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (type == typeof(Guid))
        {
            return value.ValueKind != JsonValueKind.String ? $"must be a GUID in a JSON string, like \"9c4f3a8e-4a1e-4d3b-9a8e-2b1f0c9d7e6a\"; it is {Described(value)}"
                : Guid.TryParse(value.GetString(), out _) ? null : $"is not a GUID: \"{Truncate(value.GetString())}\"";
        }

        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            return value.ValueKind != JsonValueKind.String ? $"must be an ISO 8601 time in a JSON string; it is {Described(value)}"
                : DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _) ? null
                : $"is not an ISO 8601 time: \"{Truncate(value.GetString())}\"";
        }

        if (type == typeof(string))
        {
            return value.ValueKind == JsonValueKind.String ? null : $"must be a JSON string; it is {Described(value)}";
        }

        if (type == typeof(bool))
        {
            return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : $"must be true or false; it is {Described(value)}";
        }

        if (type != typeof(string) && type.GetInterface("IEnumerable") is not null)
        {
            return value.ValueKind == JsonValueKind.Array ? null : $"must be a JSON array; it is {Described(value)}";
        }

        return null;
    }

    private static string? FirstGuidProperty(Type messageType) =>
        messageType.GetProperties().FirstOrDefault(p => p.PropertyType == typeof(Guid))?.Name;

    private static string Described(JsonElement value) => value.ValueKind == JsonValueKind.Null ? "JSON null" : $"a JSON {Kind(value)}";

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Number => "number",
        JsonValueKind.String => "string",
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        _ => "value",
    };

    private static string Truncate(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "…";
}
