namespace SlotEngine;

/// <summary>Why a reservation code was refused (see <see cref="Reservation.TryParseCode(string?, PatientKeyHasher, out Reservation, out ReservationCodeError)"/>).</summary>
public enum ReservationCodeError
{
    /// <summary>The code was accepted.</summary>
    None = 0,

    /// <summary>Not a code at all: empty, not canonical base64url, too short, truncated, or with fields that do not fit.</summary>
    Malformed,

    /// <summary>Its version byte names a layout this engine does not read (a newer release made it, or it was changed).</summary>
    UnsupportedVersion,

    /// <summary>
    /// Its signature does not match: a byte was changed, or another secret signed it (a foreign engine, a
    /// node with another <see cref="SlotEngineOptions.PatientKeyHasher"/>).
    /// </summary>
    BadSignature,
}
