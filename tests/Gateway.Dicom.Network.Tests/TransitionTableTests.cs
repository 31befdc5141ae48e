using Xunit;

namespace Gateway.Dicom.Network.Tests;

/// <summary>
/// Walks every state × event of PS3.8 Table 9-10 against a second, independent transcription made column by column
/// (per state) rather than row by row (per event) as the implementation is.
/// </summary>
public sealed class TransitionTableTests
{
    private static readonly Dictionary<UlState, Dictionary<UlEvent, string>> ByState = new()
    {
        [UlState.Sta1] = new() { [UlEvent.Evt1] = "AE-1", [UlEvent.Evt5] = "AE-5" },
        [UlState.Sta2] = new()
        {
            [UlEvent.Evt3] = "AA-1", [UlEvent.Evt4] = "AA-1", [UlEvent.Evt6] = "AE-6", [UlEvent.Evt10] = "AA-1", [UlEvent.Evt12] = "AA-1",
            [UlEvent.Evt13] = "AA-1", [UlEvent.Evt16] = "AA-2", [UlEvent.Evt17] = "AA-5", [UlEvent.Evt18] = "AA-2", [UlEvent.Evt19] = "AA-1",
        },
        [UlState.Sta3] = new()
        {
            [UlEvent.Evt3] = "AA-8", [UlEvent.Evt4] = "AA-8", [UlEvent.Evt6] = "AA-8", [UlEvent.Evt7] = "AE-7", [UlEvent.Evt8] = "AE-8",
            [UlEvent.Evt10] = "AA-8", [UlEvent.Evt12] = "AA-8", [UlEvent.Evt13] = "AA-8", [UlEvent.Evt15] = "AA-1", [UlEvent.Evt16] = "AA-3",
            [UlEvent.Evt17] = "AA-4", [UlEvent.Evt19] = "AA-8",
        },
        [UlState.Sta4] = new() { [UlEvent.Evt2] = "AE-2", [UlEvent.Evt15] = "AA-2", [UlEvent.Evt17] = "AA-4" },
        [UlState.Sta5] = new()
        {
            [UlEvent.Evt3] = "AE-3", [UlEvent.Evt4] = "AE-4", [UlEvent.Evt6] = "AA-8", [UlEvent.Evt10] = "AA-8", [UlEvent.Evt12] = "AA-8",
            [UlEvent.Evt13] = "AA-8", [UlEvent.Evt15] = "AA-1", [UlEvent.Evt16] = "AA-3", [UlEvent.Evt17] = "AA-4", [UlEvent.Evt19] = "AA-8",
        },
        [UlState.Sta6] = new()
        {
            [UlEvent.Evt3] = "AA-8", [UlEvent.Evt4] = "AA-8", [UlEvent.Evt6] = "AA-8", [UlEvent.Evt9] = "DT-1", [UlEvent.Evt10] = "DT-2",
            [UlEvent.Evt11] = "AR-1", [UlEvent.Evt12] = "AR-2", [UlEvent.Evt13] = "AA-8", [UlEvent.Evt15] = "AA-1", [UlEvent.Evt16] = "AA-3",
            [UlEvent.Evt17] = "AA-4", [UlEvent.Evt19] = "AA-8",
        },
        [UlState.Sta7] = new()
        {
            [UlEvent.Evt3] = "AA-8", [UlEvent.Evt4] = "AA-8", [UlEvent.Evt6] = "AA-8", [UlEvent.Evt10] = "AR-6", [UlEvent.Evt12] = "AR-8",
            [UlEvent.Evt13] = "AR-3", [UlEvent.Evt15] = "AA-1", [UlEvent.Evt16] = "AA-3", [UlEvent.Evt17] = "AA-4", [UlEvent.Evt19] = "AA-8",
        },
        [UlState.Sta8] = new()
        {
            [UlEvent.Evt3] = "AA-8", [UlEvent.Evt4] = "AA-8", [UlEvent.Evt6] = "AA-8", [UlEvent.Evt9] = "AR-7", [UlEvent.Evt10] = "AA-8",
            [UlEvent.Evt12] = "AA-8", [UlEvent.Evt13] = "AA-8", [UlEvent.Evt14] = "AR-4", [UlEvent.Evt15] = "AA-1", [UlEvent.Evt16] = "AA-3",
            [UlEvent.Evt17] = "AA-4", [UlEvent.Evt19] = "AA-8",
        },
        [UlState.Sta9] = new()
        {
            [UlEvent.Evt3] = "AA-8", [UlEvent.Evt4] = "AA-8", [UlEvent.Evt6] = "AA-8", [UlEvent.Evt10] = "AA-8", [UlEvent.Evt12] = "AA-8",
            [UlEvent.Evt13] = "AA-8", [UlEvent.Evt14] = "AR-9", [UlEvent.Evt15] = "AA-1", [UlEvent.Evt16] = "AA-3", [UlEvent.Evt17] = "AA-4",
            [UlEvent.Evt19] = "AA-8",
        },
        [UlState.Sta10] = new()
        {
            [UlEvent.Evt3] = "AA-8", [UlEvent.Evt4] = "AA-8", [UlEvent.Evt6] = "AA-8", [UlEvent.Evt10] = "AA-8", [UlEvent.Evt12] = "AA-8",
            [UlEvent.Evt13] = "AR-10", [UlEvent.Evt15] = "AA-1", [UlEvent.Evt16] = "AA-3", [UlEvent.Evt17] = "AA-4", [UlEvent.Evt19] = "AA-8",
        },
        [UlState.Sta11] = new()
        {
            [UlEvent.Evt3] = "AA-8", [UlEvent.Evt4] = "AA-8", [UlEvent.Evt6] = "AA-8", [UlEvent.Evt10] = "AA-8", [UlEvent.Evt12] = "AA-8",
            [UlEvent.Evt13] = "AR-3", [UlEvent.Evt15] = "AA-1", [UlEvent.Evt16] = "AA-3", [UlEvent.Evt17] = "AA-4", [UlEvent.Evt19] = "AA-8",
        },
        [UlState.Sta12] = new()
        {
            [UlEvent.Evt3] = "AA-8", [UlEvent.Evt4] = "AA-8", [UlEvent.Evt6] = "AA-8", [UlEvent.Evt10] = "AA-8", [UlEvent.Evt12] = "AA-8",
            [UlEvent.Evt13] = "AA-8", [UlEvent.Evt14] = "AR-4", [UlEvent.Evt15] = "AA-1", [UlEvent.Evt16] = "AA-3", [UlEvent.Evt17] = "AA-4",
            [UlEvent.Evt19] = "AA-8",
        },
        [UlState.Sta13] = new()
        {
            [UlEvent.Evt3] = "AA-6", [UlEvent.Evt4] = "AA-6", [UlEvent.Evt6] = "AA-7", [UlEvent.Evt10] = "AA-6", [UlEvent.Evt12] = "AA-6",
            [UlEvent.Evt13] = "AA-6", [UlEvent.Evt16] = "AA-2", [UlEvent.Evt17] = "AR-5", [UlEvent.Evt18] = "AA-2", [UlEvent.Evt19] = "AA-7",
        },
    };

    public static TheoryData<UlState, UlEvent> Cells()
    {
        var data = new TheoryData<UlState, UlEvent>();
        foreach (var s in Enum.GetValues<UlState>())
            foreach (var e in Enum.GetValues<UlEvent>())
                data.Add(s, e);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Every_state_and_event_matches_the_standard(UlState state, UlEvent evt)
    {
        var expected = ByState[state].GetValueOrDefault(evt);
        var actual = TransitionTable.Lookup(state, evt);
        Assert.Equal(expected, actual is { } a ? a.ToString().Insert(2, "-") : null);
    }

    [Fact]
    public void Next_states_follow_the_action_definitions()
    {
        Assert.Equal(UlState.Sta4, TransitionTable.NextState(UlAction.AE1));
        Assert.Equal(UlState.Sta3, TransitionTable.NextState(UlAction.AE6, acceptable: true));
        Assert.Equal(UlState.Sta13, TransitionTable.NextState(UlAction.AE6, acceptable: false));
        Assert.Equal(UlState.Sta9, TransitionTable.NextState(UlAction.AR8, requestor: true));
        Assert.Equal(UlState.Sta10, TransitionTable.NextState(UlAction.AR8, requestor: false));
        Assert.Equal(UlState.Sta12, TransitionTable.NextState(UlAction.AR10));
        Assert.Equal(UlState.Sta13, TransitionTable.NextState(UlAction.AA8));
        Assert.Equal(UlState.Sta1, TransitionTable.NextState(UlAction.AA2));
    }

    [Fact]
    public void A_release_collision_walks_through_the_collision_states()
    {
        // Requestor: Sta6 -AR-1-> Sta7 -Evt12/AR-8-> Sta9 -Evt14/AR-9-> Sta11 -Evt13/AR-3-> Sta1.
        var s = UlState.Sta6;
        foreach (var (evt, expected) in new[] { (UlEvent.Evt11, UlState.Sta7), (UlEvent.Evt12, UlState.Sta9), (UlEvent.Evt14, UlState.Sta11), (UlEvent.Evt13, UlState.Sta1) })
        {
            s = TransitionTable.NextState(TransitionTable.Lookup(s, evt)!.Value, requestor: true);
            Assert.Equal(expected, s);
        }
        // Acceptor: Sta7 -Evt12/AR-8-> Sta10 -Evt13/AR-10-> Sta12 -Evt14/AR-4-> Sta13.
        s = TransitionTable.NextState(TransitionTable.Lookup(UlState.Sta7, UlEvent.Evt12)!.Value, requestor: false);
        Assert.Equal(UlState.Sta10, s);
        s = TransitionTable.NextState(TransitionTable.Lookup(s, UlEvent.Evt13)!.Value);
        Assert.Equal(UlState.Sta12, s);
        s = TransitionTable.NextState(TransitionTable.Lookup(s, UlEvent.Evt14)!.Value);
        Assert.Equal(UlState.Sta13, s);
    }
}
