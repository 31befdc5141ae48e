using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Web;

/// <summary>The page's few non-HTML endpoints: the status JSON, the thumbnail, the configuration backup, CSS and script.</summary>
internal static class WebEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/api/status", (IGatewayControl control, WebState state) => Results.Json(StatusView.Of(control, state)))
            .RequireAuthorization();
        app.MapGet("/thumbnail.png", (IGatewayControl control) =>
            control.LastImage() is { } image ? Results.File(image.Png, "image/png") : Results.NotFound()).RequireAuthorization();
        // The video preview (issue #20): a fresh JPEG of the grabber's picture, never cached by the browser.
        app.MapGet("/device/video.jpg", async (IGatewayControl control, HttpContext http, CancellationToken ct) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            return await control.VideoSnapshotAsync(ct) is { } jpeg ? Results.File(jpeg, "image/jpeg") : Results.NotFound();
        }).RequireAuthorization();
        app.MapGet("/video.js", () => Results.Text(Assets.VideoScript, "text/javascript")).RequireAuthorization();
        app.MapGet("/system/config.json", (IGatewayControl control) =>
            Results.File(System.Text.Encoding.UTF8.GetBytes(ConfigBackup.Export(control.Config)), "application/json", "gateway.json"))
            .RequireAuthorization();
        app.MapGet("/site.css", () => Results.Text(Assets.Css, "text/css"));
        app.MapGet("/status.js", () => Results.Text(Assets.StatusScript, "text/javascript")).RequireAuthorization();
        app.MapGet("/forms.js", () => Results.Text(Assets.FormsScript, "text/javascript"));
        // Browsers ask for an icon on every page; without one each page view ends with a 404 in the console.
        app.MapGet("/favicon.svg", () => Results.Text(Assets.Icon, "image/svg+xml"));
        app.MapGet("/favicon.ico", () => Results.Text(Assets.Icon, "image/svg+xml"));
    }

    /// <summary>What any browser may load before setup and without a session: the style, the form helper, the icon.</summary>
    public static bool IsPublicAsset(PathString path) =>
        path.Value is "/site.css" or "/forms.js" or "/favicon.svg" or "/favicon.ico";
}

/// <summary>
/// The status page's figures, for the first render and for /api/status. No patient data: of the exam only its image
/// count and <see cref="WorklistText.Version"/> (a hash that tells the page its exam changed).
/// </summary>
public sealed record StatusView(string Version, long UptimeSeconds, string DeviceProfile, string DeviceLink, string LastAcquired, long Acquired,
    long AcquisitionFailures, string? DeviceProblem, IReadOnlyList<DestinationView> Destinations, int SpoolEntries, string Mqtt, string DiskFree,
    string Memory, string? Temperature, string Fingerprint, string? LastEntry, string ExamVersion, int ExamImages)
{
    public const string Path = "/api/status";

    /// <summary>The status page's own refresh (and the thumbnail it reloads): no sign that a technician is there.</summary>
    public static bool IsPoll(Microsoft.AspNetCore.Http.HttpRequest request) =>
        Microsoft.AspNetCore.Http.HttpMethods.IsGet(request.Method) && request.Path.Value is Path or "/thumbnail.png" or "/device/video.jpg";

    public static StatusView Of(IGatewayControl control, WebState state, ExamView? exam = null)
    {
        var h = control.Health();
        exam ??= control.CurrentExam();
        return new StatusView(h.Version, h.UptimeSeconds, h.Device?.Profile ?? "none", h.Device?.Link ?? "no device",
            h.Device?.LastAcquired?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) ?? "never",
            h.Device?.Acquired ?? 0, h.Device?.Failures ?? 0, h.Device?.Problem,
            [.. h.Destinations.Select(d => new DestinationView(d.Name, d.Pending, d.OldestSeconds, d.DeadLetters,
                d.LastSuccess?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) ?? "never", d.Failures))],
            h.Spool.Entries, control.Config.Mqtt is null ? "not configured" : control.MqttConnected ? "connected" : "disconnected",
            h.DiskFreeBytes is { } free ? $"{free / (1 << 20):N0} MB" : "unknown", $"{h.MemoryBytes / (1 << 20):N0} MB",
            h.CpuTemperatureC is { } t ? $"{t:F1} °C" : null, state.Fingerprint, control.LastImage()?.Id,
            WorklistText.Version(exam), exam.Images);
    }
}

public sealed record DestinationView(string Name, int Pending, long? OldestSeconds, int DeadLetters, string LastSuccess, long Failures);
