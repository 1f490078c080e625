using System.Reflection;

namespace PrebuildsMessaging.Benchmarks.ImageProfile;

/// <summary>
/// Turns the runtime's description of a method (module, metadata token, owning type and generic arguments by their
/// runtime ids) into a method of the published app's assemblies, read with a <see cref="MetadataLoadContext"/>: the
/// trace was taken from that same app, so its tokens are those assemblies' tokens.
/// </summary>
internal sealed class TracedMethodResolver : IDisposable
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
    private readonly TraceReader trace;
    private readonly MetadataLoadContext context;
    private readonly Dictionary<string, Assembly> assemblies = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<Assembly, Dictionary<int, Type>> typesByToken = [];

    public TracedMethodResolver(TraceReader trace, string app)
    {
        this.trace = trace;
        // The composite image (*.r2r.dll) holds native code, not metadata.
        var paths = Directory.GetFiles(app, "*.dll").Where(p => !p.EndsWith(".r2r.dll", StringComparison.Ordinal)).ToList();
        context = new MetadataLoadContext(new PathAssemblyResolver(paths), "System.Private.CoreLib");
        foreach (var path in paths)
        {
            try
            {
                var assembly = context.LoadFromAssemblyPath(path);
                assemblies[assembly.GetName().Name!] = assembly;
            }
            catch (BadImageFormatException)
            {
                // a native library with a .dll name
            }
        }
    }

    /// <summary>The method, or null when some part of it is not in the app (a dynamic method, a type made at run time).</summary>
    public MethodBase? Resolve(long methodId)
    {
        if (!trace.Methods.TryGetValue(methodId, out var traced) || ResolveType(traced.Type, 0) is not { } owner)
        {
            return null;
        }

        var method = DeclaredMethod(owner, traced.Token);
        if (traced.Arguments.Length == 0 || method is null)
        {
            return method;
        }

        var arguments = traced.Arguments.Select(a => ResolveType(a, 0)).ToArray();
        return method is MethodInfo generic && arguments.All(a => a is not null) ? generic.MakeGenericMethod(arguments!) : null;
    }

    /// <summary>The method or constructor the type declares under this metadata token (on an instantiated type, its instantiated form).</summary>
    public static MethodBase? DeclaredMethod(Type type, int token) =>
        type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)).FirstOrDefault(m => m.MetadataToken == token);

    private Type? ResolveType(long typeId, int depth)
    {
        if (depth > 16 || !trace.Types.TryGetValue(typeId, out var traced) || !trace.Modules.TryGetValue(traced.Module, out var path)
            || !assemblies.TryGetValue(Path.GetFileNameWithoutExtension(path), out var assembly) || !TypesOf(assembly).TryGetValue(traced.Token, out var definition))
        {
            return null;
        }

        if (traced.Arguments.Length == 0)
        {
            return definition;
        }

        var arguments = traced.Arguments.Select(a => ResolveType(a, depth + 1)).ToArray();
        return arguments.All(a => a is not null) ? definition.MakeGenericType(arguments!) : null;
    }

    private Dictionary<int, Type> TypesOf(Assembly assembly)
    {
        if (!typesByToken.TryGetValue(assembly, out var types))
        {
            Type?[] all;
            try
            {
                all = assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException e)
            {
                all = e.Types; // a trimmed assembly can name a type it no longer holds
            }

            typesByToken[assembly] = types = all.OfType<Type>().ToDictionary(t => t.MetadataToken);
        }

        return types;
    }

    public void Dispose() => context.Dispose();
}
