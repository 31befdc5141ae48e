namespace Gateway.Hardware.Video;

/// <summary>The grabber (or ffmpeg) cannot give what was asked: not there, gone, or the parameters cannot be honoured.</summary>
public sealed class VideoSourceException(string message) : Exception(message);
