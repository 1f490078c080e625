using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace PrebuildsMessaging.Benchmarks.ImageProfile;

/// <summary>
/// Writes a profile in crossgen2's .mibc format: an IL assembly whose global method <c>AssemblyDictionary</c> lists, per
/// group of assemblies, a method that holds one entry per profiled method:
/// <c>ldtoken method; ldstr "ExclusiveWeight"; ldc.i4 weight; pop</c>. crossgen2's <c>--method-layout:ExclusiveWeight</c>
/// then lays the image's methods out by descending weight. Methods are named by reference (name and signature), so the
/// profile still applies when the assemblies are compiled again; what no longer exists is skipped by crossgen2.
/// </summary>
internal sealed class MibcWriter
{
    private readonly MetadataBuilder metadata = new();
    private readonly BlobBuilder code = new();
    private readonly MethodBodyStreamEncoder bodies;
    private readonly Dictionary<string, AssemblyReferenceHandle> assemblyReferences = [];
    private readonly Dictionary<Type, EntityHandle> types = [];
    private readonly Dictionary<MethodBase, EntityHandle> methods = [];
    private readonly List<(string Name, int Body)> globalMethods = [];

    private MibcWriter() => bodies = new MethodBodyStreamEncoder(code);

    /// <summary>Writes the profile, zipped as crossgen2 reads it; returns how many methods it could not name (function pointers in a signature).</summary>
    public static int Write(string path, IEnumerable<(MethodBase Method, int Weight)> profile)
    {
        var writer = new MibcWriter();
        var skipped = 0;
        var dictionary = new InstructionEncoder(new BlobBuilder());
        foreach (var group in profile.GroupBy(p => GroupName(p.Method)).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var entries = new InstructionEncoder(new BlobBuilder());
            foreach (var (method, weight) in group)
            {
                EntityHandle handle;
                try
                {
                    handle = writer.Method(method);
                }
                catch (NotSupportedException)
                {
                    skipped++;
                    continue;
                }

                entries.OpCode(ILOpCode.Ldtoken);
                entries.Token(handle);
                entries.LoadString(writer.metadata.GetOrAddUserString("ExclusiveWeight"));
                entries.OpCode(ILOpCode.Ldc_i4); // the long form always: every entry is 16 bytes of IL
                entries.CodeBuilder.WriteInt32(weight);
                entries.OpCode(ILOpCode.Pop);
            }

            entries.OpCode(ILOpCode.Ret);
            var groupMethod = writer.AddGlobalMethod($"Assemblies_{(group.Key.Length > 200 ? group.Key[..200] : group.Key)}_{writer.globalMethods.Count + 1}", entries);
            dictionary.LoadString(writer.metadata.GetOrAddUserString(group.Key));
            dictionary.OpCode(ILOpCode.Ldtoken);
            dictionary.Token(groupMethod);
            dictionary.OpCode(ILOpCode.Pop);
        }

        dictionary.OpCode(ILOpCode.Ret);
        writer.AddGlobalMethod("AssemblyDictionary", dictionary);
        writer.Save(path);
        return skipped;
    }

    /// <summary>"Defining;Other;…;": the method's assembly first, then every other assembly its type arguments come from.</summary>
    private static string GroupName(MethodBase method)
    {
        var defining = method.DeclaringType!.Assembly.GetName().Name!;
        var others = AssembliesOf(method.DeclaringType!)
            .Concat(method is MethodInfo { IsGenericMethod: true } ? method.GetGenericArguments().SelectMany(AssembliesOf) : [])
            .Select(a => a.GetName().Name!).Where(n => n != defining).Distinct().Order(StringComparer.Ordinal);
        return string.Concat(new[] { defining }.Concat(others).Select(n => n + ";"));
    }

    private static IEnumerable<Assembly> AssembliesOf(Type type)
    {
        if (type.HasElementType)
        {
            return AssembliesOf(type.GetElementType()!);
        }

        return type.IsGenericParameter ? [] : type.GetGenericArguments().SelectMany(AssembliesOf).Prepend(type.Assembly);
    }

    private MethodDefinitionHandle AddGlobalMethod(string name, InstructionEncoder body)
    {
        globalMethods.Add((name, bodies.AddMethodBody(body, maxStack: 8)));
        return MetadataTokens.MethodDefinitionHandle(globalMethods.Count);
    }

    private EntityHandle Method(MethodBase method)
    {
        if (methods.TryGetValue(method, out var handle))
        {
            return handle;
        }

        if (method is MethodInfo { IsGenericMethod: true, IsGenericMethodDefinition: false } instantiated)
        {
            var definition = Method(instantiated.GetGenericMethodDefinition());
            var blob = new BlobBuilder();
            var arguments = new BlobEncoder(blob).MethodSpecificationSignature(instantiated.GetGenericArguments().Length);
            foreach (var argument in instantiated.GetGenericArguments())
            {
                Encode(arguments.AddArgument(), argument);
            }

            return methods[method] = metadata.AddMethodSpecification(definition, metadata.GetOrAddBlob(blob));
        }

        // The signature is the definition's, with the type's generic parameters as !n: on an instantiated type, find it by token.
        var owner = method.DeclaringType!;
        var signatureOf = owner.IsConstructedGenericType ? TracedMethodResolver.DeclaredMethod(owner.GetGenericTypeDefinition(), method.MetadataToken)! : method;
        var signature = new BlobBuilder();
        var parameters = signatureOf.GetParameters();
        var genericArity = signatureOf is MethodInfo { IsGenericMethodDefinition: true } ? signatureOf.GetGenericArguments().Length : 0;
        new BlobEncoder(signature).MethodSignature(SignatureCallingConvention.Default, genericArity, !signatureOf.IsStatic)
            .Parameters(parameters.Length, out var returnType, out var parameterTypes);
        if (signatureOf is MethodInfo withReturn)
        {
            var returned = withReturn.ReturnParameter;
            Modifiers(returnType.CustomModifiers(), returned.GetRequiredCustomModifiers(), returned.GetOptionalCustomModifiers());
            if (withReturn.ReturnType.FullName == "System.Void")
            {
                returnType.Void();
            }
            else if (withReturn.ReturnType.IsByRef)
            {
                Encode(returnType.Type(isByRef: true), withReturn.ReturnType.GetElementType()!);
            }
            else
            {
                Encode(returnType.Type(), withReturn.ReturnType);
            }
        }
        else
        {
            returnType.Void();
        }

        foreach (var parameter in parameters)
        {
            var encoder = parameterTypes.AddParameter();
            Modifiers(encoder.CustomModifiers(), parameter.GetRequiredCustomModifiers(), parameter.GetOptionalCustomModifiers());
            if (parameter.ParameterType.IsByRef)
            {
                Encode(encoder.Type(isByRef: true), parameter.ParameterType.GetElementType()!);
            }
            else
            {
                Encode(encoder.Type(), parameter.ParameterType);
            }
        }

        return methods[method] = metadata.AddMemberReference(TypeOrSpecification(owner), metadata.GetOrAddString(method.Name), metadata.GetOrAddBlob(signature));
    }

    private void Modifiers(CustomModifiersEncoder encoder, Type[] required, Type[] optional)
    {
        foreach (var modifier in required)
        {
            encoder = encoder.AddModifier(Type(modifier), isOptional: false);
        }

        foreach (var modifier in optional)
        {
            encoder = encoder.AddModifier(Type(modifier), isOptional: true);
        }
    }

    private void Encode(SignatureTypeEncoder encoder, Type type)
    {
        if (type.IsGenericParameter)
        {
            if (type.DeclaringMethod is not null)
            {
                encoder.GenericMethodTypeParameter(type.GenericParameterPosition);
            }
            else
            {
                encoder.GenericTypeParameter(type.GenericParameterPosition);
            }
        }
        else if (type.IsFunctionPointer || type.IsByRef)
        {
            throw new NotSupportedException($"{type} in a signature");
        }
        else if (type.IsPointer && type.GetElementType()!.FullName == "System.Void")
        {
            encoder.VoidPointer();
        }
        else if (type.IsPointer)
        {
            Encode(encoder.Pointer(), type.GetElementType()!);
        }
        else if (type.IsSZArray)
        {
            Encode(encoder.SZArray(), type.GetElementType()!);
        }
        else if (type.IsArray)
        {
            encoder.Array(out var element, out var shape);
            Encode(element, type.GetElementType()!);
            shape.Shape(type.GetArrayRank(), [], []);
        }
        else if (type.IsConstructedGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var arguments = encoder.GenericInstantiation(Type(definition), type.GenericTypeArguments.Length, definition.IsValueType);
            foreach (var argument in type.GenericTypeArguments)
            {
                Encode(arguments.AddArgument(), argument);
            }
        }
        else if (Primitive(type) is { } primitive)
        {
            encoder.PrimitiveType(primitive);
        }
        else
        {
            encoder.Type(Type(type), type.IsValueType);
        }
    }

    private static PrimitiveTypeCode? Primitive(Type type) =>
        type.Namespace != "System" || type.Assembly.GetName().Name != "System.Private.CoreLib" ? null : type.Name switch
        {
            "Boolean" => PrimitiveTypeCode.Boolean,
            "Char" => PrimitiveTypeCode.Char,
            "SByte" => PrimitiveTypeCode.SByte,
            "Byte" => PrimitiveTypeCode.Byte,
            "Int16" => PrimitiveTypeCode.Int16,
            "UInt16" => PrimitiveTypeCode.UInt16,
            "Int32" => PrimitiveTypeCode.Int32,
            "UInt32" => PrimitiveTypeCode.UInt32,
            "Int64" => PrimitiveTypeCode.Int64,
            "UInt64" => PrimitiveTypeCode.UInt64,
            "Single" => PrimitiveTypeCode.Single,
            "Double" => PrimitiveTypeCode.Double,
            "IntPtr" => PrimitiveTypeCode.IntPtr,
            "UIntPtr" => PrimitiveTypeCode.UIntPtr,
            "String" => PrimitiveTypeCode.String,
            "Object" => PrimitiveTypeCode.Object,
            "TypedReference" => PrimitiveTypeCode.TypedReference,
            _ => null,
        };

    private EntityHandle TypeOrSpecification(Type type)
    {
        if (!type.IsConstructedGenericType)
        {
            return Type(type);
        }

        if (!types.TryGetValue(type, out var handle))
        {
            var blob = new BlobBuilder();
            Encode(new SignatureTypeEncoder(blob), type);
            types[type] = handle = metadata.AddTypeSpecification(metadata.GetOrAddBlob(blob));
        }

        return handle;
    }

    /// <summary>A type reference. Shared generic code's System.__Canon is named in the assembly System.Private.Canon, as crossgen2 expects.</summary>
    private EntityHandle Type(Type type)
    {
        if (!types.TryGetValue(type, out var handle))
        {
            EntityHandle scope = type.IsNested ? Type(type.DeclaringType!)
                : AssemblyReference(type.FullName == "System.__Canon" ? "System.Private.Canon" : type.Assembly.GetName().Name!, type.Assembly.GetName());
            types[type] = handle = metadata.AddTypeReference(scope, type.IsNested ? default : metadata.GetOrAddString(type.Namespace ?? ""), metadata.GetOrAddString(type.Name));
        }

        return handle;
    }

    private AssemblyReferenceHandle AssemblyReference(string name, AssemblyName of)
    {
        if (!assemblyReferences.TryGetValue(name, out var handle))
        {
            var key = name == of.Name ? of.GetPublicKeyToken() : null;
            assemblyReferences[name] = handle = metadata.AddAssemblyReference(metadata.GetOrAddString(name), name == of.Name ? of.Version ?? new Version() : new Version(),
                default, key is { Length: > 0 } ? metadata.GetOrAddBlob(key) : default, default, default);
        }

        return handle;
    }

    private void Save(string path)
    {
        var name = Path.GetFileName(path);
        metadata.AddModule(0, metadata.GetOrAddString(name + ".dll"), metadata.GetOrAddGuid(Guid.Empty), default, default);
        metadata.AddAssembly(metadata.GetOrAddString(name), new Version(1, 0), default, default, default, AssemblyHashAlgorithm.None); // not the app's own name
        var voidSignature = new BlobBuilder();
        new BlobEncoder(voidSignature).MethodSignature().Parameters(0, r => r.Void(), _ => { });
        var signature = metadata.GetOrAddBlob(voidSignature);
        foreach (var (methodName, body) in globalMethods)
        {
            metadata.AddMethodDefinition(MethodAttributes.Public | MethodAttributes.Static, MethodImplAttributes.IL, metadata.GetOrAddString(methodName), signature, body, default);
        }

        metadata.AddTypeDefinition(default, default, metadata.GetOrAddString("<Module>"), default, MetadataTokens.FieldDefinitionHandle(1), MetadataTokens.MethodDefinitionHandle(1));
        var image = new BlobBuilder();
        new ManagedPEBuilder(PEHeaderBuilder.CreateLibraryHeader(), new MetadataRootBuilder(metadata), code, deterministicIdProvider: _ => default).Serialize(image);

        // crossgen2 reads a .mibc either as the PE itself or as a zip holding it under the name "<file>.dll".
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        var entry = zip.CreateEntry(name + ".dll", CompressionLevel.SmallestSize);
        entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero); // the same profile, the same bytes
        using var stream = entry.Open();
        image.WriteContentTo(stream);
    }
}
