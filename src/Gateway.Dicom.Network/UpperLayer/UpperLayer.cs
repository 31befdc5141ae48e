namespace Gateway.Dicom.Network;

/// <summary>States of the DICOM upper layer protocol machine (PS3.8 §9.2.1, Tables 9-1 to 9-5).</summary>
public enum UlState
{
    /// <summary>Idle.</summary>
    Sta1 = 1,
    /// <summary>Transport connection open (awaiting A-ASSOCIATE-RQ PDU).</summary>
    Sta2,
    /// <summary>Awaiting local A-ASSOCIATE response primitive (from local user).</summary>
    Sta3,
    /// <summary>Awaiting transport connection opening to complete.</summary>
    Sta4,
    /// <summary>Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU.</summary>
    Sta5,
    /// <summary>Association established and ready for data transfer.</summary>
    Sta6,
    /// <summary>Awaiting A-RELEASE-RP PDU.</summary>
    Sta7,
    /// <summary>Awaiting local A-RELEASE response primitive.</summary>
    Sta8,
    /// <summary>Release collision requestor side; awaiting A-RELEASE response.</summary>
    Sta9,
    /// <summary>Release collision acceptor side; awaiting A-RELEASE-RP PDU.</summary>
    Sta10,
    /// <summary>Release collision requestor side; awaiting A-RELEASE-RP PDU.</summary>
    Sta11,
    /// <summary>Release collision acceptor side; awaiting A-RELEASE response primitive.</summary>
    Sta12,
    /// <summary>Awaiting transport connection close indication (association no longer exists).</summary>
    Sta13,
}

/// <summary>Events of the upper layer protocol machine (PS3.8 §9.2.3, Table 9-10).</summary>
public enum UlEvent
{
    /// <summary>A-ASSOCIATE request (local user).</summary>
    Evt1 = 1,
    /// <summary>Transport connect confirmation (local transport service).</summary>
    Evt2,
    /// <summary>A-ASSOCIATE-AC PDU received.</summary>
    Evt3,
    /// <summary>A-ASSOCIATE-RJ PDU received.</summary>
    Evt4,
    /// <summary>Transport connection indication (local transport service).</summary>
    Evt5,
    /// <summary>A-ASSOCIATE-RQ PDU received.</summary>
    Evt6,
    /// <summary>A-ASSOCIATE response primitive (accept).</summary>
    Evt7,
    /// <summary>A-ASSOCIATE response primitive (reject).</summary>
    Evt8,
    /// <summary>P-DATA request primitive.</summary>
    Evt9,
    /// <summary>P-DATA-TF PDU received.</summary>
    Evt10,
    /// <summary>A-RELEASE request primitive.</summary>
    Evt11,
    /// <summary>A-RELEASE-RQ PDU received.</summary>
    Evt12,
    /// <summary>A-RELEASE-RP PDU received.</summary>
    Evt13,
    /// <summary>A-RELEASE response primitive.</summary>
    Evt14,
    /// <summary>A-ABORT request primitive.</summary>
    Evt15,
    /// <summary>A-ABORT PDU received.</summary>
    Evt16,
    /// <summary>Transport connection closed indication.</summary>
    Evt17,
    /// <summary>ARTIM timer expired.</summary>
    Evt18,
    /// <summary>Unrecognized or invalid PDU received.</summary>
    Evt19,
}

/// <summary>Actions of the upper layer protocol machine (PS3.8 §9.2.2, Tables 9-6 to 9-9).</summary>
public enum UlAction
{
    AE1, AE2, AE3, AE4, AE5, AE6, AE7, AE8,
    DT1, DT2,
    AR1, AR2, AR3, AR4, AR5, AR6, AR7, AR8, AR9, AR10,
    AA1, AA2, AA3, AA4, AA5, AA6, AA7, AA8,
}
