using PrebuildsMessaging.Core.ChangeFeed;

namespace PrebuildsMessaging.Tests.ChangeFeed;

/// <summary>Which changes of a transaction create a need. No database needed.</summary>
public sealed class ChangeFeedNeedsTests
{
    private static readonly Guid User = Guid.NewGuid();
    private static readonly Guid Org = Guid.NewGuid();
    private static readonly Guid Version = Guid.NewGuid();

    private static RowChange Change(string table, ChangeKind kind, params (string Column, object? Value)[] values) =>
        new(table, kind, values.ToDictionary(v => v.Column, v => v.Value?.ToString()));

    [Fact]
    public void A_preset_with_prebuilds_names_its_version_and_one_without_names_nothing()
    {
        var needs = ChangeFeedNeeds.Of([
            Change("template_version_presets", ChangeKind.Insert, ("template_version_id", Version), ("desired_instances", 2)),
            Change("template_version_presets", ChangeKind.Insert, ("template_version_id", Guid.NewGuid()), ("desired_instances", null)),
        ], User);

        Assert.Equal([Version], needs.TemplateVersions);
        Assert.Empty(needs.Organizations);
        Assert.False(needs.All);
    }

    [Fact]
    public void A_version_attached_to_a_template_names_its_organization_and_an_unattached_one_nothing()
    {
        var needs = ChangeFeedNeeds.Of([
            Change("template_versions", ChangeKind.Update, ("organization_id", Org), ("template_id", Guid.NewGuid())),
            Change("template_versions", ChangeKind.Insert, ("organization_id", Guid.NewGuid()), ("template_id", null)),
        ], User);

        Assert.Equal([Org], needs.Organizations);
    }

    [Fact]
    public void A_preset_whose_version_the_same_transaction_wrote_names_that_versions_organization_without_a_lookup()
    {
        var unattached = Guid.NewGuid(); // a version not on a template yet: its organization still owns the preset
        var needs = ChangeFeedNeeds.Of([
            Change("template_versions", ChangeKind.Insert, ("id", unattached), ("organization_id", Org), ("template_id", null)),
            Change("template_version_presets", ChangeKind.Insert, ("template_version_id", unattached), ("desired_instances", 1)),
            Change("template_version_presets", ChangeKind.Insert, ("template_version_id", Version), ("desired_instances", 1)),
        ], User);

        Assert.Equal([Org], needs.Organizations);
        Assert.Equal([Version], needs.TemplateVersions); // written earlier: looked up afterwards
    }

    [Fact]
    public void Only_the_prebuilds_users_membership_deleted_counts_and_a_deleted_group_means_every_organization()
    {
        Assert.Equal([Org], ChangeFeedNeeds.Of([
            Change("organization_members", ChangeKind.Delete, ("organization_id", Org), ("user_id", User)),
            Change("organization_members", ChangeKind.Delete, ("organization_id", Guid.NewGuid()), ("user_id", Guid.NewGuid())),
        ], User).Organizations);
        Assert.True(ChangeFeedNeeds.Of([Change("groups", ChangeKind.Delete, ("id", Guid.NewGuid()))], User).All);
        Assert.True(ChangeFeedNeeds.Of([Change("groups", ChangeKind.Update, ("id", Guid.NewGuid()))], User).IsEmpty);
    }
}
