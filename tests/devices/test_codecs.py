"""Codecs against published byte strings and check values, without any port."""
from __future__ import annotations

from datetime import date

import pytest

from devices.emulators.demo_people import demo_cards
from devices.idcard.card import InvalidCardData, decode_base_info, decode_text, encode_base_info, encode_text
from devices.idcard.frames import (STATUS_MEANINGS, Command, RequestDecoder, Response, ResponseDecoder, encode_request,
                                  encode_response)
from devices.idcard.reader import ReaderStatusError
from devices.kiosk.frames import KioskDecoder, encode_frame
from devices.kiosk.protocol import CertificatePrint, decode_certificate, encode_certificate
from devices.station import registers as r
from devices.transport.checksums import crc16_modbus
from devices.transport.settings import LineSettings

PUBLISHED_REQUESTS = {  # rules.md §8.3
    Command.RESET: "AA AA AA 96 69 00 03 10 FF EC",
    Command.STATUS: "AA AA AA 96 69 00 03 11 FF ED",
    Command.SAM_ID: "AA AA AA 96 69 00 03 12 FF EE",
    Command.FIND_CARD: "AA AA AA 96 69 00 03 20 01 22",
    Command.SELECT_CARD: "AA AA AA 96 69 00 03 20 02 21",
    Command.READ_BASE: "AA AA AA 96 69 00 03 30 01 32",
    Command.READ_NEWEST_ADDRESS: "AA AA AA 96 69 00 03 30 03 30",
    Command.READ_WITH_FINGERPRINT: "AA AA AA 96 69 00 03 30 10 23",
}
PUBLISHED_RESPONSES = [  # (frame, SW3, data length)
    ("AA AA AA 96 69 00 04 00 00 90 94", 0x90, 0),
    ("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", 0x9F, 4),
    ("AA AA AA 96 69 00 04 00 00 80 84", 0x80, 0),
    ("AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C", 0x90, 8),
    ("AA AA AA 96 69 00 04 00 00 81 85", 0x81, 0),
]


@pytest.mark.parametrize("command", list(PUBLISHED_REQUESTS))
def test_gat467_requests_match_the_published_frames(command):
    assert encode_request(command) == bytes.fromhex(PUBLISHED_REQUESTS[command])
    (request,) = RequestDecoder().feed(bytes.fromhex(PUBLISHED_REQUESTS[command]))
    assert request.command == command.value


@pytest.mark.parametrize("frame, sw3, data_length", PUBLISHED_RESPONSES)
def test_gat467_published_responses_decode_and_reencode(frame, sw3, data_length):
    (response,) = ResponseDecoder().feed(bytes.fromhex(frame))
    assert (response.sw1, response.sw2, response.sw3, len(response.data)) == (0, 0, sw3, data_length)
    assert encode_response(sw3, response.data) == bytes.fromhex(frame)


def test_read_reply_has_the_published_layout():
    card = demo_cards()[0]
    frame = encode_response(0x90, encode_base_info(card))
    assert len(frame) == 1295
    assert frame[5:14] == bytes.fromhex("05 08 00 00 90 01 00 04 00")
    (response,) = ResponseDecoder().feed(frame)
    assert decode_base_info(response.data) == card


def test_gat467_decoder_resynchronises_and_rejects_a_bad_checksum():
    good = bytes.fromhex(PUBLISHED_RESPONSES[1][0])
    corrupted = bytearray(good)
    corrupted[-1] ^= 0xFF
    decoder = ResponseDecoder()
    frames = decoder.feed(b"\x00\xAA\xAA" + bytes(corrupted) + b"\x55" + good[:7])
    assert frames == []
    (response,) = decoder.feed(good[7:])
    assert response.sw3 == 0x9F


def test_card_text_decodes_every_field():
    card = demo_cards()[2]
    decoded = decode_text(encode_text(card), card.photo)
    assert decoded == card
    assert (decoded.name, decoded.sex, decoded.ethnicity, decoded.valid_to) == ("巴特尔", "male", "蒙古", None)
    assert decoded.birth_date == date(1972, 7, 30)
    assert "********" in repr(decoded) and decoded.id_number not in repr(decoded)


def test_card_with_a_wrong_check_character_is_refused():
    card = demo_cards()[0]
    text = encode_text(card).decode("utf-16-le")
    wrong = "0" if card.id_number[-1] != "0" else "1"
    forged = text.replace(card.id_number, card.id_number[:17] + wrong).encode("utf-16-le")
    with pytest.raises(InvalidCardData, match="check character"):
        decode_text(forged)


def test_crc16_modbus_check_value():
    assert crc16_modbus(b"123456789") == 0x4B37
    # A published Modbus request: read 2 holding registers from 0x006B of unit 0x11.
    assert crc16_modbus(bytes.fromhex("11 03 00 6B 00 03")).to_bytes(2, "little") == bytes.fromhex("76 87")


def test_kiosk_decoder_drops_noise_and_corrupted_frames():
    first, second = encode_frame(7, 0x02), encode_frame(8, 0x01, b"\x00\x01")
    flipped = bytearray(first)
    flipped[4] ^= 0x10
    decoder = KioskDecoder()
    # The first three bytes look like a header announcing 255 bytes: only the quiet line gives it away.
    assert decoder.feed(b"\x02\x00\xff" + bytes(flipped) + b"garbage" + second) == []
    frames = decoder.salvage()
    assert [(f.seq, f.command, f.payload) for f in frames] == [(8, 0x01, b"\x00\x01")]
    assert decoder.dropped > 0


def test_certificate_payload_round_trip():
    job = CertificatePrint("J-9", "T1", "李娜", "female", "440106********2441", "电工作业", "高压电工作业",
                           date(2025, 1, 2), date(2031, 1, 2), date(2028, 1, 2), "广东省应急管理厅", "https://v/x")
    assert decode_certificate(encode_certificate(job)) == job


def test_line_settings_from_configuration():
    settings = LineSettings.parse("/dev/serial/by-id/usb-FTDI-if00 baudrate=9600 parity=e rs485=on")
    assert (settings.url, settings.baudrate, settings.parity, settings.rs485) == (
        "/dev/serial/by-id/usb-FTDI-if00", 9600, "E", True)
    assert settings.char_time == pytest.approx(11 / 9600)
    with pytest.raises(ValueError, match="unknown line option"):
        LineSettings.parse("/dev/ttyS0 speed=9600")


def test_station_token_registers_round_trip():
    assert r.token_from_registers(r.token_registers("ATT-2025-000123")) == "ATT-2025-000123"
    with pytest.raises(ValueError):
        r.token_registers("X" * 17)


@pytest.mark.parametrize("sw3", sorted(set(STATUS_MEANINGS) - {0x90, 0x9F}) + [0x55])
def test_every_reader_status_has_a_clear_message(sw3):
    error = ReaderStatusError("/dev/ttyS0", Command.READ_BASE, Response(0, 0, sw3, b""))
    assert error.sw3 == sw3
    assert f"SW=00 00 {sw3:02X}: " in str(error)
    assert STATUS_MEANINGS.get(sw3, "undocumented status SW3=0x55") in str(error)
