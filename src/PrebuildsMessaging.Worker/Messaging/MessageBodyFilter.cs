using MassTransit;

namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>
/// Reads an endpoint's message before anything else, so that a body that cannot be read as its type fails with
/// a reason a person can read (<see cref="MessageBodyDiagnosis"/>) instead of the JSON reader's own. The
/// failure is an <see cref="InvalidMessageException"/>: never retried, straight to the _error queue. A message
/// of another type passes on untouched (MassTransit moves it to _skipped).
/// </summary>
public sealed class MessageBodyFilter<TMessage> : IFilter<ConsumeContext>
    where TMessage : class
{
    public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        bool read;
        try
        {
            read = context.TryGetMessage<TMessage>(out var consumed) && consumed.Message is not null;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException or NotSupportedException or ArgumentException)
        {
            throw Unreadable(context, ex);
        }

        if (!read && context.HasMessageType(typeof(TMessage)))
        {
            throw Unreadable(context, new InvalidOperationException("the body holds no message"));
        }

        return next.Send(context);
    }

    // Without the reader's exception as the inner one: MassTransit reports the innermost exception's message.
    private static InvalidMessageException Unreadable(ConsumeContext context, Exception error) =>
        new(MessageBodyDiagnosis.Describe(typeof(TMessage), context.ReceiveContext.Body.GetBytes(), context.ReceiveContext.ContentType?.MediaType, error));

    public void Probe(ProbeContext context) => context?.CreateFilterScope("messageBody");
}
