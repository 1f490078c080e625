using Microsoft.Extensions.DependencyInjection;

namespace PrebuildsMessaging.Pause;

public static class PauseServiceCollectionExtensions
{
    /// <summary>Coder's pause of prebuilds reconciliation: the watcher the consumers report to, which also looks for the resume.</summary>
    public static IServiceCollection AddPrebuildsPause(this IServiceCollection services) => services
        .AddSingleton<CoderPauseWatcher>()
        .AddHostedService(sp => sp.GetRequiredService<CoderPauseWatcher>());
}
