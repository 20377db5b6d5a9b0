// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title USCC
/// @notice Unified Social Credit Codes (GB 32100-2015) as they travel on chain: 18 ASCII bytes in a `bytes18`.
/// @dev Checks the character set and the weighted mod-31 check character of position 18, and extracts the
/// 6-digit administrative-division code (positions 3-8) that gives an enterprise its home city. The full
/// validation with human-readable messages (authority and entity-type codes) lives in `src/uscc.ts`; the
/// two agree on every code the chain accepts.
library USCC {
    /// @notice The code has a character outside digits and capital letters without I, O, S, V, Z.
    error USCCInvalidCharacter(bytes18 code, uint256 position);
    /// @notice Positions 3-8 are not six digits.
    error USCCInvalidDivisionCode(bytes18 code);
    /// @notice The check character (position 18) does not match the first 17.
    error USCCInvalidCheckCharacter(bytes18 code, bytes1 found, bytes1 expected);

    /// @dev The 31 characters of the code alphabet in value order.
    bytes private constant ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    /// @notice Value 0-30 of one code character, or 255 if it is not in the alphabet.
    /// @param c one ASCII character of a code.
    /// @return The character's value, or 255.
    function charValue(bytes1 c) internal pure returns (uint256) {
        uint8 b = uint8(c);
        if (b >= 0x30 && b <= 0x39) return b - 0x30;
        // A-H = 10-17, J-N = 18-22, P-R = 23-25, T-U = 26-27, W-Y = 28-30; I, O, S, V, Z are not used
        if (b >= 0x41 && b <= 0x48) return b - 0x41 + 10;
        if (b >= 0x4A && b <= 0x4E) return b - 0x4A + 18;
        if (b >= 0x50 && b <= 0x52) return b - 0x50 + 23;
        if (b == 0x54 || b == 0x55) return b - 0x54 + 26;
        if (b >= 0x57 && b <= 0x59) return b - 0x57 + 28;
        return 255;
    }

    /// @notice Reverts unless `code` has a valid character set and check character.
    /// @dev Reverts with `USCCInvalidCharacter` (in positions 1-17) or `USCCInvalidCheckCharacter`.
    /// @param code the 18-character code.
    function validate(bytes18 code) internal pure {
        uint256 sum;
        uint256 weight = 1;
        for (uint256 i = 0; i < 17; ++i) {
            uint256 v = charValue(code[i]);
            if (v == 255) revert USCCInvalidCharacter(code, i + 1);
            sum += v * weight;
            weight = (weight * 3) % 31;
        }
        uint256 check = (31 - (sum % 31)) % 31;
        bytes1 expected = ALPHABET[check];
        if (code[17] != expected) revert USCCInvalidCheckCharacter(code, code[17], expected);
    }

    /// @notice The 6-digit administrative-division code in positions 3-8, e.g. 320106.
    /// @dev Reverts with `USCCInvalidDivisionCode` unless those positions are digits; checks nothing else.
    /// @param code the 18-character code.
    /// @return division the division code as a number.
    function divisionCode(bytes18 code) internal pure returns (uint32 division) {
        for (uint256 i = 2; i < 8; ++i) {
            uint8 b = uint8(code[i]);
            if (b < 0x30 || b > 0x39) revert USCCInvalidDivisionCode(code);
            division = division * 10 + (b - 0x30);
        }
    }
}
