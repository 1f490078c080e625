namespace PrebuildsMessaging.Core.Configuration;

/// <summary>A setting that cannot be used; the message names the setting and never repeats its value.</summary>
public sealed class InvalidSettingException : FormatException
{
    public InvalidSettingException(string message)
        : base(message)
    {
    }

    public InvalidSettingException()
    {
    }

    public InvalidSettingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
