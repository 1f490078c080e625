using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.ErrorQueues;

/// <summary>
/// RabbitMQ's management HTTP API, as the user and on the virtual host of one connection: error queues, a
/// queue's properties, and virtual hosts. In a cluster, any node that answers. Messages are read with ackmode ack_requeue_true: RabbitMQ hands
/// them out and puts them back in their place, so the listing neither consumes nor reorders them (RabbitMQ
/// marks them redelivered).
/// </summary>
public sealed class RabbitMqManagementClient : IDisposable
{
    private readonly HttpClient http;
    private readonly List<Uri> managementUrls;
    private readonly string virtualHost;
    private readonly string username;
    private int current; // the node that answered last

    public RabbitMqManagementClient(RabbitMqConnection connection, Uri managementUrl)
        : this(connection, [managementUrl ?? throw new ArgumentNullException(nameof(managementUrl))])
    {
    }

    /// <summary>With several URLs (one per node of a cluster), each request goes to the first node that answers.</summary>
    public RabbitMqManagementClient(RabbitMqConnection connection, IReadOnlyList<Uri> managementUrls)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(managementUrls);
        if (managementUrls.Count == 0)
        {
            throw new ArgumentException("At least one management URL.", nameof(managementUrls));
        }

        this.managementUrls = managementUrls.Select(u => new Uri(u.ToString().TrimEnd('/') + "/")).ToList();
        virtualHost = Uri.EscapeDataString(connection.VirtualHost);
        username = connection.Username;
        http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{connection.Username}:{connection.Password}")));
    }

    /// <summary>The names of the _error and _skipped queues, sorted.</summary>
    public async Task<IReadOnlyList<string>> ErrorQueueNamesAsync(CancellationToken cancellationToken)
    {
        var queues = await GetJsonAsync($"api/queues/{virtualHost}?columns=name", cancellationToken).ConfigureAwait(false);
        return queues.EnumerateArray()
            .Select(q => q.GetProperty("name").GetString()!)
            .Where(ErrorQueueInfo.IsErrorOrSkipped)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public async Task<IReadOnlyList<ErrorQueueMessage>> PeekAsync(string queue, int count, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"api/queues/{virtualHost}/{Uri.EscapeDataString(queue)}/get",
            new { count, ackmode = "ack_requeue_true", encoding = "auto", truncate = 4096 }, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var messages = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
        return messages.EnumerateArray().Select(Describe).ToList();
    }

    /// <summary>One queue's properties as the management API gives them (type, durable, arguments, counts, ...).</summary>
    public Task<JsonElement> QueueAsync(string queue, CancellationToken cancellationToken) =>
        GetJsonAsync($"api/queues/{virtualHost}/{Uri.EscapeDataString(queue)}", cancellationToken);

    /// <summary>Creates a virtual host and gives this client's user every permission on it (needs the administrator tag).</summary>
    public async Task CreateVirtualHostAsync(string name, CancellationToken cancellationToken)
    {
        var escaped = Uri.EscapeDataString(name);
        using (var created = await SendAsync(HttpMethod.Put, $"api/vhosts/{escaped}", null, cancellationToken).ConfigureAwait(false))
        {
            created.EnsureSuccessStatusCode();
        }

        using var granted = await SendAsync(HttpMethod.Put, $"api/permissions/{escaped}/{Uri.EscapeDataString(username)}",
            new { configure = ".*", write = ".*", read = ".*" }, cancellationToken).ConfigureAwait(false);
        granted.EnsureSuccessStatusCode();
    }

    /// <summary>Sets a policy on this client's virtual host (e.g. a length limit on a queue).</summary>
    public async Task SetPolicyAsync(string name, string pattern, object definition, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Put, $"api/policies/{virtualHost}/{Uri.EscapeDataString(name)}",
            new { pattern, definition, priority = 10, applyTo = "queues" }, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    public async Task DeletePolicyAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"api/policies/{virtualHost}/{Uri.EscapeDataString(name)}", null, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Deletes a virtual host and everything in it.</summary>
    public async Task DeleteVirtualHostAsync(string name, CancellationToken cancellationToken)
    {
        using var deleted = await SendAsync(HttpMethod.Delete, $"api/vhosts/{Uri.EscapeDataString(name)}", null, cancellationToken).ConfigureAwait(false);
        deleted.EnsureSuccessStatusCode();
    }

    private async Task<JsonElement> GetJsonAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>To the node that answered last, then to each other one in turn while a node does not answer at all.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var start = Volatile.Read(ref current);
        for (var attempt = 0; ; attempt++)
        {
            var index = (start + attempt) % managementUrls.Count;
            using var request = new HttpRequestMessage(method, new Uri(managementUrls[index], path));
            if (body is not null)
            {
                request.Content = JsonContent.Create(body);
            }

            try
            {
                var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref current, index);
                return response;
            }
            catch (Exception ex) when (attempt + 1 < managementUrls.Count && !cancellationToken.IsCancellationRequested
                                       && ex is HttpRequestException { StatusCode: null } or TaskCanceledException)
            {
                // That node is away: try the next one.
            }
        }
    }

    private static ErrorQueueMessage Describe(JsonElement message)
    {
        var properties = message.GetProperty("properties");
        var headers = properties.TryGetProperty("headers", out var h) ? h : default;
        string? Header(string name) => headers.ValueKind == JsonValueKind.Object && headers.TryGetProperty(name, out var v) ? v.ToString() : null;
        string? Property(string name) => properties.TryGetProperty(name, out var v) ? v.ToString() : null;
        var reason = Header("MT-Reason");
        var exceptionMessage = Header("MT-Fault-Message");
        if (exceptionMessage is null && reason == "dead-letter")
        {
            exceptionMessage = "Skipped: no consumer on this endpoint handles the message's type.";
        }

        if (reason is null && Header("x-first-death-reason") == "delivery_limit")
        {
            reason = "delivery-limit";
            exceptionMessage = $"Dead-lettered by RabbitMQ from {Header("x-first-death-queue") ?? "its queue"}: delivered as many times as the queue's delivery limit "
                               + "(Bus:QuorumDeliveryLimit) without being acknowledged; each delivery ended the worker or its connection before it finished.";
        }

        return new ErrorQueueMessage(
            Property("message_id"),
            Header("MT-Fault-MessageType") ?? MessageTypeFromEnvelope(message) ?? $"unreadable ({Property("content_type") ?? "no content type"})",
            Header("MT-Fault-ExceptionType"),
            exceptionMessage,
            Header("MT-Fault-Timestamp"),
            reason,
            int.TryParse(Header("MT-Fault-RetryCount"), out var retries) ? retries : 0);
    }

    private static string? MessageTypeFromEnvelope(JsonElement message)
    {
        try
        {
            using var body = JsonDocument.Parse(message.GetProperty("payload").GetString() ?? "");
            return body.RootElement.ValueKind == JsonValueKind.Object
                   && body.RootElement.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0
                ? types[0].GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => http.Dispose();
}
