using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Messaging;
using PrebuildsMessaging.Observability;
using PrebuildsMessaging.Pause;
using PrebuildsMessaging.Scheduling;

namespace PrebuildsMessaging;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>What the worker adds to the core: the bus with its consumers, the schedule, health and metrics, Coder's pause, and the change feed.</summary>
    public static IServiceCollection AddPrebuildsWorker(this IServiceCollection services, IConfiguration configuration) => services
        .AddPrebuildsMessaging(configuration)
        .AddPrebuildsSchedule(configuration)
        .AddPrebuildsObservability(configuration)
        .AddPrebuildsPause()
        .AddSingleton<ChangeFeed.ChangeFeedStatus>()
        .AddHostedService<ChangeFeed.ChangeFeedReader>();
}
