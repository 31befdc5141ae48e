using System.Net;

namespace Gateway.Configuration;

public static partial class ConfigValidator
{
    /// <summary>metrics.* (issue #21): checked only when enabled, like the web page's section.</summary>
    private static void ValidateMetrics(GatewayConfig c, List<string> p)
    {
        if (c.Metrics is not { Enabled: true } m)
            return;
        if (!IPAddress.TryParse(m.Bind, out _))
            p.Add($"metrics.bind: '{m.Bind}' is not an IP address");
        Port(p, "metrics.port", m.Port);
        if (c.Web.Enabled && (m.Port == c.Web.Port || m.Port == c.Web.HttpRedirectPort))
            p.Add($"metrics.port: {m.Port} is also the web page's port");
        if (c.LocalScp is { } scp && scp.Port == m.Port)
            p.Add($"metrics.port: {m.Port} is also localScp.port");
        if (m.Allow.Count == 0)
            p.Add("metrics.allow: is empty (no one could read /metrics; turn metrics.enabled off instead)");
        for (var i = 0; i < m.Allow.Count; i++)
        {
            if (!IPNetwork.TryParse(m.Allow[i], out _))
                p.Add($"metrics.allow[{i}]: '{m.Allow[i]}' is not a network (ADDRESS/PREFIX, e.g. 10.1.0.0/16)");
        }
    }
}
