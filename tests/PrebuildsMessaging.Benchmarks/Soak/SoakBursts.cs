using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RabbitMQ.Client;

namespace PrebuildsMessaging.Benchmarks.Soak;

/// <summary>
/// Every minute, a burst of plain-JSON <c>PresetsChanged</c> events, as a producer that is not MassTransit (Coder's Go
/// server) would publish them: persistent, confirmed, to the contract's exchange, through any node that answers.
/// </summary>
internal sealed class SoakBursts(SoakSettings settings, SoakWorkload workload, Stopwatch clock)
{
    private const string Exchange = "PrebuildsMessaging.Contracts:PresetsChanged";
    private readonly Random random = new(settings.Seed ^ 0xb0757);

    public int Published { get; private set; }

    public int Bursts { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.BurstEvery, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var organizations = workload.Live;
            if (organizations.Count == 0 || settings.BurstEvents == 0)
            {
                continue;
            }

            var events = Enumerable.Range(0, settings.BurstEvents).Select(_ => JsonSerializer.SerializeToUtf8Bytes(new
            {
                organizationId = organizations[random.Next(organizations.Count)],
                templateId = Guid.NewGuid(),
                templateVersionId = Guid.NewGuid(),
                occurredAt = DateTimeOffset.UtcNow,
            })).ToList();
            await PublishAsync(events, cancellationToken);
            Bursts++;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed:mm\\:ss} burst: {events.Count} PresetsChanged events published and confirmed"));
        }
    }

    /// <summary>Each event until the broker confirms it; after a broken connection the rest go through another node (an event sent twice is safe).</summary>
    private async Task PublishAsync(List<byte[]> events, CancellationToken cancellationToken)
    {
        var next = 0;
        var trying = Stopwatch.StartNew();
        while (next < events.Count && trying.Elapsed < TimeSpan.FromMinutes(2))
        {
            try
            {
                var factory = new ConnectionFactory { UserName = "guest", Password = "guest", ClientProvidedName = "prebuilds-soak-bursts" };
                var endpoints = settings.AmqpPorts.Select(p => new AmqpTcpEndpoint("127.0.0.1", p)).OrderBy(_ => random.Next()).ToList();
                await using var connection = await factory.CreateConnectionAsync(endpoints, cancellationToken);
                await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
                while (next < events.Count)
                {
                    var chunk = events.Skip(next).Take(100).ToList();
                    await Task.WhenAll(chunk.Select(body =>
                    {
                        var properties = new BasicProperties { ContentType = "application/json", MessageId = Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent };
                        return channel.BasicPublishAsync(Exchange, "", false, properties, body, cancellationToken).AsTask();
                    }));
                    next += chunk.Count;
                    Published += chunk.Count;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Console.WriteLine($"  burst: publishing again after {ex.GetType().Name}: {ex.Message}");
                await Task.Delay(500, cancellationToken);
            }
        }
    }
}
