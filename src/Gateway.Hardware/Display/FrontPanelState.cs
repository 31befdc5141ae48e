namespace Gateway.Hardware.Display;

/// <summary>What the box is doing, as the front panel names it.</summary>
public enum FrontPanelState
{
    Ready,
    Acquiring,
    Sending,
    Error,
}
