namespace Gateway.Hardware.Display;

/// <summary>
/// What the front panel shows. None of it may name a patient: <paramref name="LastError"/> is the kind of text the
/// gateway's logs carry (destination, AE title, cause), never a patient name, ID or study description.
/// </summary>
/// <param name="BoxName">box.id.</param>
/// <param name="Address">The box's IP address as the technician types it into a browser; null: no network.</param>
/// <param name="State">Ready, acquiring, sending or error.</param>
/// <param name="SpoolDepth">Objects waiting in the spool.</param>
/// <param name="LastError">The last error, or null; long ones scroll (LCD) or wrap (OLED).</param>
public sealed record PanelStatus(string BoxName, string? Address, FrontPanelState State, int SpoolDepth, string? LastError);
