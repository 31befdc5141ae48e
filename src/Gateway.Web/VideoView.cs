namespace Gateway.Web;

/// <summary>The device's video grabber as the page shows it (issue #20). No patient data.</summary>
/// <param name="State">disconnected, ready, still, recording.</param>
public sealed record VideoView(string Source, string Size, int Fps, string State, long Stills, long Clips, long RecordingFrames,
    string? LastError, double? LastStillLatencyMs, string ClipMode, string StillIod, string ClipIod);
