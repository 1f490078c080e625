using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// RabbitMQ's management HTTP API, for tests that need a fresh virtual host or to read a queue's properties.
/// PREBUILDS_TEST_RABBITMQ_MANAGEMENT (test.sh sets it); defaults to port 15672 of the AMQP host.
/// </summary>
public sealed class RabbitMqManagement : IDisposable
{
    public const string EnvironmentVariable = "PREBUILDS_TEST_RABBITMQ_MANAGEMENT";

    private readonly HttpClient http;
    private readonly Uri amqp;

    public RabbitMqManagement(string amqpUri)
    {
        amqp = new Uri(amqpUri);
        var baseAddress = Environment.GetEnvironmentVariable(EnvironmentVariable) ?? $"http://{amqp.Host}:15672";
        var user = amqp.UserInfo.Length > 0 ? Uri.UnescapeDataString(amqp.UserInfo) : "guest:guest";
        http = new HttpClient { BaseAddress = new Uri(baseAddress.TrimEnd('/') + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user)));
    }

    /// <summary>Creates a virtual host the AMQP user may use, and returns an amqp:// URI that points at it.</summary>
    public async Task<string> CreateVirtualHostAsync(string name)
    {
        (await http.PutAsync(new Uri($"api/vhosts/{name}", UriKind.Relative), null)).EnsureSuccessStatusCode();
        var user = Uri.UnescapeDataString(amqp.UserInfo.Split(':')[0]);
        (await http.PutAsJsonAsync(new Uri($"api/permissions/{name}/{user}", UriKind.Relative),
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        return new UriBuilder(amqp) { Path = "/" + name }.Uri.ToString();
    }

    public async Task DeleteVirtualHostAsync(string name) => await http.DeleteAsync(new Uri($"api/vhosts/{name}", UriKind.Relative));

    public async Task<JsonElement> QueueAsync(string virtualHost, string queue) =>
        await http.GetFromJsonAsync<JsonElement>(new Uri($"api/queues/{Uri.EscapeDataString(virtualHost)}/{queue}", UriKind.Relative));

    public void Dispose() => http.Dispose();
}
