using System.Globalization;

namespace Gateway.Web;

/// <summary>Small self-contained pages for answers that come before any Razor page (too large, expired form, not found).</summary>
internal static class ErrorPage
{
    public static string TooLarge => Page("Too large", string.Create(CultureInfo.InvariantCulture,
        $"That file is too large: the page takes files of up to {WebLimits.MaxUpload / (1 << 20)} MB. Nothing was changed."));

    public static string For(int status) => status switch
    {
        400 => Page("Not accepted", "The form had expired or was incomplete, so nothing was changed. Go back, reload the page and try again."),
        _ => Page("Not found", "There is no such page on this box."),
    };

    private static string Page(string title, string text) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{title} — Gateway</title><link rel="stylesheet" href="/site.css"><link rel="icon" href="/favicon.svg" type="image/svg+xml"></head>
        <body><main><h1>{title}</h1><p class="message bad">{text}</p><p><a href="/">Back to the status page</a></p></main></body></html>
        """;
}
