using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PrebuildsMessaging.Core;
using PrebuildsMessaging.Worker;

namespace PrebuildsMessaging.Hosting;

/// <summary>
/// The one place the host is built: appsettings.json, appsettings.{Environment}.json and environment
/// variables, the same for the worker and for every subcommand.
/// </summary>
public static class ServiceHostFactory
{
    /// <param name="withDatabase">False for commands that only talk to the broker (errors, replay): no PostgreSQL setting is needed.</param>
    public static HostApplicationBuilder CreateBuilder(Action<HostApplicationBuilder>? configure = null, bool withDatabase = true)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        if (withDatabase)
        {
            builder.Services.AddPrebuildsCore(builder.Configuration);
            builder.Services.AddQuartzSchema(); // `migrate` provisions Quartz's tables
        }

        configure?.Invoke(builder);
        return builder;
    }

    /// <summary>Runs every ValidateOnStart check now, for commands that use services without starting the host.</summary>
    public static void ValidateOptions(IServiceProvider services) =>
        services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
}
