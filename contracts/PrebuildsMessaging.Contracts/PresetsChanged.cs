namespace PrebuildsMessaging.Contracts;

/// <summary>Event from outside (e.g. Coder): the presets of a template version changed.</summary>
public sealed record PresetsChanged
{
    public Guid OrganizationId { get; init; }
    public Guid TemplateId { get; init; }
    public Guid TemplateVersionId { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
}
