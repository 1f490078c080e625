namespace PrebuildsMessaging.Contracts;

/// <summary>Event from outside (e.g. Coder): a template was created, updated, deleted or got a new active version.</summary>
public sealed record TemplateChanged
{
    public Guid OrganizationId { get; init; }
    public Guid TemplateId { get; init; }

    /// <summary>One of <see cref="TemplateChanges"/>; unknown values are tolerated.</summary>
    public string Change { get; init; } = TemplateChanges.Updated;

    public DateTimeOffset OccurredAt { get; init; }
}
