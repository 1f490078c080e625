using System.Collections.Immutable;
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace PrebuildsMessaging.Tests.Memory;

/// <summary>
/// The profile the composite image is laid out by (src/PrebuildsMessaging/PrebuildsMessaging.mibc): its shape, the one
/// crossgen2 reads (a zipped IL assembly whose AssemblyDictionary lists groups, each an IL list of
/// <c>ldtoken method; ldstr "ExclusiveWeight"; ldc.i4 weight; pop</c>), and its weights. A profile recorded without the
/// pass, or written in another shape, fails here. No server needed.
/// </summary>
public sealed class ImageProfileTests
{
    private const int PassWeight = 1000; // ImageProfileRecording.PassWeight

    private static readonly Lazy<IReadOnlyList<(string Type, string Method, int Weight)>> Profile = new(Read);

    [Theory]
    [InlineData("EnsureOrgPrebuildSetupConsumer", "Consume")]
    [InlineData("ReconcileRequestedConsumer", "Consume")]
    public void The_pass_s_consumers_come_first(string type, string method)
    {
        var entries = Profile.Value.Where(e => e.Type == type && e.Method == method).ToList();

        Assert.NotEmpty(entries);
        Assert.All(entries, e => Assert.Equal(PassWeight, e.Weight));
    }

    [Fact]
    public void Start_up_comes_next_and_the_pass_is_a_small_part()
    {
        var pass = Profile.Value.Count(e => e.Weight == PassWeight);
        var startup = Profile.Value.Count(e => e.Weight == 1);

        Assert.Contains(Profile.Value, e => e.Type == "HostApplicationBuilder" && e.Method == ".ctor" && e.Weight == 1);
        Assert.InRange(pass, 500, startup); // a pass calls for the first time far fewer methods than start-up does
        Assert.Equal(Profile.Value.Count, pass + startup); // no other weight
    }

    private static List<(string Type, string Method, int Weight)> Read()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "PrebuildsMessaging.mibc");
        using var zip = ZipFile.OpenRead(path);
        var entry = zip.GetEntry("PrebuildsMessaging.mibc.dll") ?? throw new InvalidDataException($"{path} holds no PrebuildsMessaging.mibc.dll");
        using var stream = new MemoryStream();
        using (var compressed = entry.Open())
        {
            compressed.CopyTo(stream);
        }

        using var pe = new PEReader(stream.ToArray().ToImmutableArray());
        var metadata = pe.GetMetadataReader();
        var dictionary = metadata.MethodDefinitions.Select(metadata.GetMethodDefinition).Single(m => metadata.GetString(m.Name) == "AssemblyDictionary");
        var entries = new List<(string, string, int)>();
        foreach (var token in GroupTokens(pe, dictionary))
        {
            var group = metadata.GetMethodDefinition((MethodDefinitionHandle)MetadataTokens.EntityHandle(token));
            var il = Body(pe, group);
            Assert.Equal(1, il.Length % 16); // entries of ldtoken T (5), ldstr S (5), ldc.i4 W (5), pop (1); then ret
            Assert.Equal((byte)ILOpCode.Ret, il[^1]);
            for (var i = 0; i + 16 <= il.Length; i += 16)
            {
                Assert.Equal((byte)ILOpCode.Ldtoken, il[i]);
                Assert.Equal((byte)ILOpCode.Ldstr, il[i + 5]);
                Assert.Equal("ExclusiveWeight", metadata.GetUserString((UserStringHandle)MetadataTokens.Handle(BitConverter.ToInt32(il, i + 6))));
                Assert.Equal((byte)ILOpCode.Ldc_i4, il[i + 10]);
                Assert.Equal((byte)ILOpCode.Pop, il[i + 15]);
                var (type, method) = Name(metadata, MetadataTokens.EntityHandle(BitConverter.ToInt32(il, i + 1)));
                entries.Add((type, method, BitConverter.ToInt32(il, i + 11)));
            }
        }

        return entries;
    }

    private static byte[] Body(PEReader pe, MethodDefinition method) => pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!;

    /// <summary>The group methods AssemblyDictionary names: ldstr group (5), ldtoken method (5), pop (1); then ret.</summary>
    private static IEnumerable<int> GroupTokens(PEReader pe, MethodDefinition dictionary)
    {
        var il = Body(pe, dictionary);
        Assert.Equal(1, il.Length % 11);
        Assert.Equal((byte)ILOpCode.Ret, il[^1]);
        for (var i = 0; i + 11 <= il.Length; i += 11)
        {
            Assert.Equal((byte)ILOpCode.Ldstr, il[i]);
            Assert.Equal((byte)ILOpCode.Ldtoken, il[i + 5]);
            Assert.Equal((byte)ILOpCode.Pop, il[i + 10]);
            yield return BitConverter.ToInt32(il, i + 6);
        }
    }

    private static (string Type, string Method) Name(MetadataReader metadata, EntityHandle handle)
    {
        if (handle.Kind == HandleKind.MethodSpecification)
        {
            handle = metadata.GetMethodSpecification((MethodSpecificationHandle)handle).Method;
        }

        var reference = metadata.GetMemberReference((MemberReferenceHandle)handle);
        var parent = reference.Parent;
        if (parent.Kind == HandleKind.TypeSpecification)
        {
            // A generic instantiation: GENERICINST CLASS|VALUETYPE TypeDefOrRef ...
            var blob = metadata.GetBlobReader(metadata.GetTypeSpecification((TypeSpecificationHandle)parent).Signature);
            blob.ReadSignatureTypeCode(); // GENERICINST
            blob.ReadSignatureTypeCode(); // CLASS or VALUETYPE
            parent = blob.ReadTypeHandle();
        }

        var type = metadata.GetTypeReference((TypeReferenceHandle)parent);
        return (metadata.GetString(type.Name), metadata.GetString(reference.Name));
    }
}
