using PrebuildsMessaging.Worker.Memory;

namespace PrebuildsMessaging.Tests.Memory;

/// <summary>Which lines of /proc/self/maps are private mappings of a file, whose pages can be dropped and read back. No server needed.</summary>
public sealed class FileMappingTests
{
    [Theory]
    [InlineData("7f680ee40000-7f6811ba8000 r-xp 00010000 fe:01 1234 /app/PrebuildsMessaging.r2r.dll", 0x7f680ee40000L, 0x2D68000L, "/app/PrebuildsMessaging.r2r.dll")]
    [InlineData("7f6811bc7000-7f68133f8000 rw-p 02d87000 fe:01 1234 /app/PrebuildsMessaging.r2r.dll", 0x7f6811bc7000L, 0x1831000L, "/app/PrebuildsMessaging.r2r.dll")]
    [InlineData("7f5c05703000-7f5c05705000 r--p 00000000 fe:01 99 /usr/lib/x86_64-linux-gnu/lib with space.so", 0x7f5c05703000L, 0x2000L, "/usr/lib/x86_64-linux-gnu/lib with space.so")]
    [InlineData("7f5c05703000-7f5c05705000 r--p 00000000 fe:01 99                         /usr/lib/libc.so.6", 0x7f5c05703000L, 0x2000L, "/usr/lib/libc.so.6")] // padded to a column, as the kernel writes it
    public void A_private_mapping_of_a_file_is_one(string line, long start, long length, string path)
    {
        var mapping = FileMapping.Parse(line);

        Assert.NotNull(mapping);
        Assert.Equal((nint)start, mapping.Start);
        Assert.Equal((nuint)length, mapping.Length);
        Assert.Equal(path, mapping.Path);
    }

    [Theory]
    [InlineData("7f680ede0000-7f680ee30000 rw-s 00000000 00:01 5 /memfd:doublemapper (deleted)")] // the runtime's double-mapped code: shared memory
    [InlineData("7f680ea60000-7f680ea63000 rw-p 00000000 00:00 0 ")] // anonymous: the GC heap, thread stacks
    [InlineData("55d0c1a00000-55d0c1b00000 rw-p 00000000 00:00 0 [heap]")]
    [InlineData("7ffd1a000000-7ffd1a021000 rw-p 00000000 00:00 0 [stack]")]
    [InlineData("7ffd1a1f0000-7ffd1a1f2000 r-xp 00000000 00:00 0                          [vdso]")]
    [InlineData("7f0000000000-7f0000001000 r--s 00000000 00:05 7 /dev/shm/some-segment")]
    [InlineData("7f0000000000-7f0000001000 r--p 00000000 00:05 7 /dev/zero")]
    [InlineData("7f0000000000-7f0000001000 r--s 00000000 fe:01 7 /var/lib/data.bin")] // a shared file mapping: writes would reach the file
    [InlineData("7f0000000000-7f0000001000 r-xp 00000000 fe:01 7 /app/old.so (deleted)")]
    [InlineData("not a maps line")]
    [InlineData("7f0000001000-7f0000000000 r-xp 00000000 fe:01 7 /app/backwards.so")]
    public void Anything_else_is_not(string line) => Assert.Null(FileMapping.Parse(line));
}
