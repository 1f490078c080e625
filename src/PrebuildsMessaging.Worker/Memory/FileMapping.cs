using System.Globalization;

namespace PrebuildsMessaging.Worker.Memory;

/// <summary>
/// One private mapping of a file, as a line of <c>/proc/self/maps</c> lists it: the executable image, a library, an
/// assembly. Its clean pages can be dropped and read back from the file; anonymous memory, shared memory
/// (<c>memfd:</c>, <c>/dev/shm</c>, the runtime's double-mapped code) and deleted files are never one.
/// </summary>
internal sealed record FileMapping(nint Start, nuint Length, string Path)
{
    /// <summary>The mapping a maps line describes, or null when it is not a private mapping of a file.</summary>
    public static FileMapping? Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        // address perms offset dev inode path: "7f68-7f69 r-xp 00000000 fe:01 123 /app/PrebuildsMessaging.r2r.dll"
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 6 || fields[1].Length != 4 || fields[1][3] != 'p')
        {
            return null;
        }

        var path = fields[5].Trim();
        if (!path.StartsWith('/') || path.StartsWith("/memfd:", StringComparison.Ordinal) || path.StartsWith("/dev/", StringComparison.Ordinal)
            || path.EndsWith(" (deleted)", StringComparison.Ordinal))
        {
            return null;
        }

        var range = fields[0].Split('-');
        if (range.Length != 2
            || !ulong.TryParse(range[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
            || !ulong.TryParse(range[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end)
            || end <= start)
        {
            return null;
        }

        return new FileMapping((nint)start, (nuint)(end - start), path);
    }
}
