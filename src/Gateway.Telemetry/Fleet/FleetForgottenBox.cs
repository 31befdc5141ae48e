namespace Gateway.Telemetry.Fleet;

/// <summary>
/// A box the view dropped (<see cref="FleetState.ForgetVanished"/>): offline and not heard from since
/// <see cref="LastHeard"/> for longer than <see cref="FleetOptions.ForgetAfter"/>, or <see cref="Removed"/> — its
/// retained status was deleted on the broker.
/// </summary>
public sealed record FleetForgottenBox(string BoxId, DateTimeOffset LastHeard, bool Removed);
