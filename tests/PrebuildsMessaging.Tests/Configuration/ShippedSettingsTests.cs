using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.ChangeFeed;
using PrebuildsMessaging.Worker.Memory;
using PrebuildsMessaging.Worker.Messaging;
using PrebuildsMessaging.Worker.Observability;
using PrebuildsMessaging.Worker.Schedule;

namespace PrebuildsMessaging.Tests.Configuration;

/// <summary>
/// The appsettings.json the app ships with sets no option to anything but the option's own default, and no key the options lack: the defaults live
/// in the options classes and docs/configuration.md, and a copy in the file would override them unseen (the file once
/// kept ensure batches at 100 × 4 after the defaults had become 250 × 2).
/// </summary>
public sealed class ShippedSettingsTests
{
    private static IConfiguration Shipped()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "PrebuildsMessaging.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var path = Path.Combine(directory.FullName, "src", "PrebuildsMessaging", "appsettings.json");
        return new ConfigurationBuilder().AddJsonFile(path, optional: false).Build();
    }

    public static TheoryData<string, Type> Sections() => new()
    {
        { PrebuildsOptions.SectionName, typeof(PrebuildsOptions) },
        { BusOptions.SectionName, typeof(BusOptions) },
        { ScheduleOptions.SectionName, typeof(ScheduleOptions) },
        { HealthOptions.SectionName, typeof(HealthOptions) },
        { ChangeFeedOptions.SectionName, typeof(ChangeFeedOptions) },
        { MemoryOptions.SectionName, typeof(MemoryOptions) },
    };

    /// <summary>A section the rows above do not check (a misspelt one, or a new options class) would bind to nothing unseen.</summary>
    [Fact]
    public void The_shipped_file_has_no_section_but_those_checked()
    {
        var known = Sections().Select(row => (string)row[0]).Append("ConnectionStrings").Append("Logging").ToHashSet(StringComparer.OrdinalIgnoreCase);

        Assert.All(Shipped().GetChildren(), c => Assert.Contains(c.Key, known));
    }

    [Theory]
    [MemberData(nameof(Sections))]
    public void The_shipped_file_keeps_every_default(string section, Type options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var defaults = Activator.CreateInstance(options)!;
        // A key the options do not have fails too, rather than be dropped unseen.
        var bound = Shipped().GetSection(section).Get(options, b => b.ErrorOnUnknownConfiguration = true) ?? Activator.CreateInstance(options)!;

        var differences = options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && !Equals(p.GetValue(defaults), p.GetValue(bound)))
            .Select(p => string.Create(CultureInfo.InvariantCulture,
                $"appsettings.json sets {section}:{p.Name} to {p.GetValue(bound)}; its default is {p.GetValue(defaults)}"))
            .ToList();

        Assert.Empty(differences);
    }
}
