using System.Text.RegularExpressions;

namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>
/// What RabbitMQ's PRECONDITION_FAILED (406) reply to a queue declaration says, e.g.
/// <c>inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received the value 'quorum' of type 'longstr' but current is none</c>.
/// </summary>
public sealed partial record QueueDeclareConflict(string Argument, string? Current)
{
    /// <summary>The queue type the broker already has, or null when the conflict is about another argument.</summary>
    public string? CurrentQueueType => Argument == QueueArguments.QueueTypeArgument ? Current ?? QueueArguments.Classic : null;

    /// <summary>Null when the reply is not an inequivalent-argument conflict.</summary>
    public static QueueDeclareConflict? Parse(string? replyText)
    {
        var match = replyText is null ? Match.Empty : InequivalentArgument().Match(replyText);
        if (!match.Success)
        {
            return null;
        }

        return new QueueDeclareConflict(match.Groups["arg"].Value, match.Groups["current"].Success ? match.Groups["current"].Value : null);
    }

    [GeneratedRegex(@"inequivalent arg '(?<arg>[^']+)'.*but current is (?:none|the value '(?<current>[^']*)')")]
    private static partial Regex InequivalentArgument();
}
