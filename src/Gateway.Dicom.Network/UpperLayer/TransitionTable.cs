namespace Gateway.Dicom.Network;

/// <summary>
/// The DICOM upper layer state transition table, PS3.8 §9.2.3 Table 9-10, transcribed row by row (events) and column
/// by column (states Sta1–Sta13). A blank cell ("-") is a transition the standard does not define: for a local
/// primitive it is a programming error; PDU events are defined in every state where a connection exists.
/// </summary>
public static class TransitionTable
{
    private static readonly string[] Rows =
    [
        //          Sta1  Sta2  Sta3  Sta4  Sta5  Sta6  Sta7  Sta8  Sta9  Sta10 Sta11 Sta12 Sta13
        /* Evt1  */ "AE-1 -     -     -     -     -     -     -     -     -     -     -     -",
        /* Evt2  */ "-    -     -     AE-2  -     -     -     -     -     -     -     -     -",
        /* Evt3  */ "-    AA-1  AA-8  -     AE-3  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6",
        /* Evt4  */ "-    AA-1  AA-8  -     AE-4  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6",
        /* Evt5  */ "AE-5 -     -     -     -     -     -     -     -     -     -     -     -",
        /* Evt6  */ "-    AE-6  AA-8  -     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7",
        /* Evt7  */ "-    -     AE-7  -     -     -     -     -     -     -     -     -     -",
        /* Evt8  */ "-    -     AE-8  -     -     -     -     -     -     -     -     -     -",
        /* Evt9  */ "-    -     -     -     -     DT-1  -     AR-7  -     -     -     -     -",
        /* Evt10 */ "-    AA-1  AA-8  -     AA-8  DT-2  AR-6  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6",
        /* Evt11 */ "-    -     -     -     -     AR-1  -     -     -     -     -     -     -",
        /* Evt12 */ "-    AA-1  AA-8  -     AA-8  AR-2  AR-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6",
        /* Evt13 */ "-    AA-1  AA-8  -     AA-8  AA-8  AR-3  AA-8  AA-8  AR-10 AR-3  AA-8  AA-6",
        /* Evt14 */ "-    -     -     -     -     -     -     AR-4  AR-9  -     -     AR-4  -",
        /* Evt15 */ "-    -     AA-1  AA-2  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  -",
        /* Evt16 */ "-    AA-2  AA-3  -     AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-2",
        /* Evt17 */ "-    AA-5  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AR-5",
        /* Evt18 */ "-    AA-2  -     -     -     -     -     -     -     -     -     -     AA-2",
        /* Evt19 */ "-    AA-1  AA-8  -     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7",
    ];

    private static readonly UlAction?[,] Cells = Parse();

    private static UlAction?[,] Parse()
    {
        var cells = new UlAction?[19, 13];
        for (var e = 0; e < Rows.Length; e++)
        {
            var columns = Rows[e].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length != 13)
                throw new InvalidOperationException($"Evt{e + 1} row has {columns.Length} columns");
            for (var s = 0; s < 13; s++)
            {
                if (columns[s] != "-")
                    cells[e, s] = Enum.Parse<UlAction>(columns[s].Replace("-", "", StringComparison.Ordinal));
            }
        }
        return cells;
    }

    /// <summary>The action for an event in a state, or null where the table has no entry.</summary>
    public static UlAction? Lookup(UlState state, UlEvent evt) => Cells[(int)evt - 1, (int)state - 1];

    /// <summary>
    /// The state after an action (PS3.8 Tables 9-6 to 9-9). AE-6 and AR-8 have two outcomes, chosen by
    /// <paramref name="acceptable"/> (AE-6: the request is acceptable) and <paramref name="requestor"/> (AR-8).
    /// </summary>
    public static UlState NextState(UlAction action, bool acceptable = true, bool requestor = true) => action switch
    {
        UlAction.AE1 => UlState.Sta4,
        UlAction.AE2 => UlState.Sta5,
        UlAction.AE3 => UlState.Sta6,
        UlAction.AE4 => UlState.Sta1,
        UlAction.AE5 => UlState.Sta2,
        UlAction.AE6 => acceptable ? UlState.Sta3 : UlState.Sta13,
        UlAction.AE7 => UlState.Sta6,
        UlAction.AE8 => UlState.Sta13,
        UlAction.DT1 or UlAction.DT2 => UlState.Sta6,
        UlAction.AR1 => UlState.Sta7,
        UlAction.AR2 => UlState.Sta8,
        UlAction.AR3 => UlState.Sta1,
        UlAction.AR4 => UlState.Sta13,
        UlAction.AR5 => UlState.Sta1,
        UlAction.AR6 => UlState.Sta7,
        UlAction.AR7 => UlState.Sta8,
        UlAction.AR8 => requestor ? UlState.Sta9 : UlState.Sta10,
        UlAction.AR9 => UlState.Sta11,
        UlAction.AR10 => UlState.Sta12,
        UlAction.AA1 => UlState.Sta13,
        UlAction.AA2 or UlAction.AA3 or UlAction.AA4 or UlAction.AA5 => UlState.Sta1,
        UlAction.AA6 or UlAction.AA7 or UlAction.AA8 => UlState.Sta13,
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };
}
