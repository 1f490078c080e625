namespace PrebuildsMessaging.Core.Database.Migrations;

/// <summary>The service's schema is missing and the role may not create it; the message says what to do.</summary>
public sealed class SchemaMissingException : Exception
{
    public SchemaMissingException()
    {
    }

    public SchemaMissingException(string message)
        : base(message)
    {
    }

    public SchemaMissingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
