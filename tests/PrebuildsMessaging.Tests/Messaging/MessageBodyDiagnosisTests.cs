using System.Text;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Tests.Messaging;

public sealed class MessageBodyDiagnosisTests
{
    private static readonly Exception ReaderError = new InvalidOperationException("the reader's own words");

    private static string Describe<T>(string body, string contentType = "application/json") =>
        MessageBodyDiagnosis.Describe(typeof(T), Encoding.UTF8.GetBytes(body), contentType, ReaderError);

    [Theory]
    [InlineData("null", "The PresetsChanged message body is JSON null; expected a JSON object such as {\"organizationId\": \"<GUID>\"}.")]
    [InlineData("[1]", "The PresetsChanged message body is a JSON array; expected a JSON object such as {\"organizationId\": \"<GUID>\"}.")]
    [InlineData("\"text\"", "The PresetsChanged message body is a JSON string; expected a JSON object such as {\"organizationId\": \"<GUID>\"}.")]
    [InlineData("{\"organizationId\":42}", "PresetsChanged.organizationId must be a GUID in a JSON string, like \"9c4f3a8e-4a1e-4d3b-9a8e-2b1f0c9d7e6a\"; it is a JSON number.")]
    [InlineData("{\"OrganizationId\":\"nope\"}", "PresetsChanged.OrganizationId is not a GUID: \"nope\".")]
    [InlineData("{\"occurredAt\":true}", "PresetsChanged.occurredAt must be an ISO 8601 time in a JSON string; it is a JSON boolean.")]
    [InlineData("{\"occurredAt\":\"yesterday\"}", "PresetsChanged.occurredAt is not an ISO 8601 time: \"yesterday\".")]
    public void A_presets_change_says_what_is_wrong(string body, string expected) => Assert.Equal(expected, Describe<PresetsChanged>(body));

    [Fact]
    public void Fields_of_other_kinds_are_named_too()
    {
        Assert.Equal("EnsureOrgPrebuildSetup.organizationName must be a JSON string; it is a JSON number.",
            Describe<EnsureOrgPrebuildSetup>("{\"organizationId\":\"9c4f3a8e-4a1e-4d3b-9a8e-2b1f0c9d7e6a\",\"organizationName\":7}"));
        Assert.Equal("EnsureOrgPrebuildSetup.hasPrebuildUser must be true or false; it is a JSON string.",
            Describe<EnsureOrgPrebuildSetup>("{\"hasPrebuildUser\":\"yes\"}"));
        Assert.Equal("ReconcileRequested.organizationIds must be a JSON array; it is a JSON string.",
            Describe<ReconcileRequested>("{\"organizationIds\":\"9c4f3a8e-4a1e-4d3b-9a8e-2b1f0c9d7e6a\"}"));
    }

    [Fact]
    public void A_body_in_the_envelope_is_judged_by_its_message()
    {
        Assert.Equal("PresetsChanged.organizationId must be a GUID in a JSON string, like \"9c4f3a8e-4a1e-4d3b-9a8e-2b1f0c9d7e6a\"; it is a JSON number.",
            Describe<PresetsChanged>("{\"messageType\":[\"urn:message:PrebuildsMessaging.Contracts:PresetsChanged\"],\"message\":{\"organizationId\":1}}", "application/vnd.masstransit+json"));
    }

    [Fact]
    public void Not_json_and_nothing_precise_fall_back_to_what_was_found()
    {
        Assert.StartsWith("The PresetsChanged message body is not JSON (", Describe<PresetsChanged>("{oops"), StringComparison.Ordinal);
        Assert.Equal("The PresetsChanged message could not be read: the reader's own words", Describe<PresetsChanged>("{\"organizationId\":\"9c4f3a8e-4a1e-4d3b-9a8e-2b1f0c9d7e6a\"}"));
    }
}
