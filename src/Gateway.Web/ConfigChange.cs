namespace Gateway.Web;

/// <summary>One difference between the configuration in use and a restore candidate, in the page's words.</summary>
/// <param name="What">The key (or "destination NAME").</param>
/// <param name="Before">The value in use ("—" when absent).</param>
/// <param name="After">The value after the restore ("—" when absent).</param>
/// <param name="Consequence">Set when the change removes something or moves the page: it needs an explicit tick.</param>
public sealed record ConfigChange(string What, string Before, string After, string? Consequence);
