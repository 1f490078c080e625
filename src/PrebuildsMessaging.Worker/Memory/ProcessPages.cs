using System.Globalization;
using System.Runtime.InteropServices;

namespace PrebuildsMessaging.Worker.Memory;

/// <summary>The worker's own pages, on Linux: how much of its files is resident, and asking the kernel to drop it.</summary>
internal static partial class ProcessPages
{
    private const int MadvPageout = 21; // Linux 5.4 and later

    /// <summary>Resident pages of mapped files (RssFile in /proc/self/status), in bytes.</summary>
    public static long ResidentFileBytes()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("RssFile:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>
    /// Asks the kernel to page out every private file mapping of this process (MADV_PAGEOUT). Clean pages are dropped
    /// and read back from their file when next touched; pages other processes map too are left alone by the kernel.
    /// Returns the mappings advised and those the kernel refused (a kernel older than 5.4 refuses them all).
    /// </summary>
    public static (int Advised, int Refused) PageOutFileMappings()
    {
        var advised = 0;
        var refused = 0;
        foreach (var mapping in File.ReadAllLines("/proc/self/maps").Select(FileMapping.Parse).OfType<FileMapping>())
        {
            if (Madvise(mapping.Start, mapping.Length, MadvPageout) == 0)
            {
                advised++;
            }
            else
            {
                refused++;
            }
        }

        return (advised, refused);
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
