using System.Globalization;
using System.Runtime.InteropServices;

namespace PrebuildsMessaging.Worker.Memory;

/// <summary>The worker's own pages, on Linux: how much of its files is resident, and releasing it.</summary>
internal static partial class ProcessPages
{
    private const int MadvPageout = 21; // Linux 5.4 and later
    private const int NoSuchMapping = 12; // ENOMEM: the range was unmapped after /proc/self/maps was read

    /// <summary>Resident pages of mapped files (RssFile in /proc/self/status), in bytes.</summary>
    public static long ResidentFileBytes()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("RssFile:", StringComparison.Ordinal));
        return line is null ? 0 : BytesOf(line);
    }

    /// <summary>The bytes of a "Name:   1234 kB" line of /proc/self/status or /proc/self/smaps.</summary>
    public static long BytesOf(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>
    /// Releases every private file mapping of this process: the kernel is asked to page it out (MADV_PAGEOUT). Pages
    /// read from a file are dropped, and read from it again when next touched; pages the process wrote (relocations)
    /// stay, or go to swap where there is swap. The kernel itself leaves alone the pages other processes map, and the
    /// file pages of files this process may neither own nor write. Returns the mappings released and those the kernel
    /// refused (a kernel older than 5.4 refuses them all); a mapping gone since the list was read counts as neither.
    /// </summary>
    public static (int Released, int Refused) ReleaseFileMappings()
    {
        var released = 0;
        var refused = 0;
        foreach (var mapping in File.ReadAllLines("/proc/self/maps").Select(FileMapping.Parse).OfType<FileMapping>())
        {
            if (Madvise(mapping.Start, mapping.Length, MadvPageout) == 0)
            {
                released++;
            }
            else if (Marshal.GetLastPInvokeError() != NoSuchMapping)
            {
                refused++;
            }
        }

        return (released, refused);
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
