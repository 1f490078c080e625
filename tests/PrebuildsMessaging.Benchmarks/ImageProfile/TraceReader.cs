using Microsoft.Diagnostics.Tracing;

namespace PrebuildsMessaging.Benchmarks.ImageProfile;

/// <summary>
/// What a worker's EventPipe trace says about the ahead-of-time code it ran: each method whose ReadyToRun code the
/// runtime looked up (its first call), when, and the runtime's description of it (module, metadata token, owning type,
/// generic arguments), from the runtime provider's R2RGetEntryPoint, MethodDetails, BulkType and ModuleLoad events.
/// </summary>
internal sealed class TraceReader
{
    /// <summary>The runtime provider's keywords for those events: Loader, Type, CompilationDiagnostic, MethodDiagnostic, TypeDiagnostic.</summary>
    public const string Providers = "Microsoft-Windows-DotNETRuntime:0xE000080008:5";

    public sealed record TracedType(long Module, int Token, long[] Arguments);

    public sealed record TracedMethod(long Type, int Token, long[] Arguments);

    public Dictionary<long, string> Modules { get; } = [];

    public Dictionary<long, TracedType> Types { get; } = [];

    public Dictionary<long, TracedMethod> Methods { get; } = [];

    /// <summary>Each method's first ReadyToRun lookup, in UTC, in the order they came.</summary>
    public List<(long Method, DateTime At)> FirstCalls { get; } = [];

    public static TraceReader Read(string path)
    {
        var reader = new TraceReader();
        var seen = new HashSet<long>();
        using var source = new EventPipeEventSource(path);
        source.Clr.LoaderModuleLoad += e => reader.Modules[e.ModuleID] = e.ModuleILPath;
        source.Clr.TypeBulkType += e =>
        {
            for (var i = 0; i < e.Count; i++)
            {
                var value = e.Values(i);
                var arguments = new long[value.TypeParameterCount];
                for (var j = 0; j < arguments.Length; j++)
                {
                    arguments[j] = (long)value.TypeParameterID(j);
                }

                reader.Types[(long)value.TypeID] = new TracedType((long)value.ModuleID, (int)value.TypeNameID, arguments);
            }
        };
        source.Clr.MethodMethodDetails += e =>
        {
            var arguments = new long[e.TypeParameterCount];
            for (var j = 0; j < arguments.Length; j++)
            {
                arguments[j] = (long)e.TypeParameters(j);
            }

            reader.Methods[(long)e.MethodID] = new TracedMethod((long)e.TypeID, (int)e.MethodToken, arguments);
        };
        source.Clr.MethodR2RGetEntryPoint += e =>
        {
            if (seen.Add((long)e.MethodID))
            {
                reader.FirstCalls.Add(((long)e.MethodID, e.TimeStamp.ToUniversalTime()));
            }
        };
        source.Process();
        return reader;
    }
}
