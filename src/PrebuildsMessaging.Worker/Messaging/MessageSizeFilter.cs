using MassTransit;
using Microsoft.Extensions.Options;

namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>
/// Refuses a message whose body is larger than Bus:MaxMessageBytes: it goes to the _error queue with that
/// reason (InvalidMessageException is never retried) and the endpoint carries on.
/// </summary>
public sealed class MessageSizeFilter<T>(IOptions<BusOptions> options) : IFilter<ConsumeContext<T>>
    where T : class
{
    public Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var limit = options.Value.MaxMessageBytes;
        var size = context.ReceiveContext.Body.Length ?? context.ReceiveContext.Body.GetBytes().LongLength;
        if (size > limit)
        {
            throw new InvalidMessageException(
                $"The {typeof(T).Name} message is {size} bytes, more than {BusOptions.SectionName}:MaxMessageBytes ({limit}).");
        }

        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("messageSize");
}
