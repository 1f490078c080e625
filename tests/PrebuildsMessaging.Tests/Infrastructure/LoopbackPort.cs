namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>A TCP port on 127.0.0.1 that nothing listens on now, for a server a test starts itself.</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
