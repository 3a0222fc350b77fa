"""ID-card reader driver against the emulated SAM over a paced pty cable, with faults on the line."""
from __future__ import annotations

import pytest

from devices.emulators.demo_people import demo_cards
from devices.emulators.idcard_reader import IdCardReaderEmulator
from devices.idcard.reader import IdCardReader, ReaderStatusError
from devices.transport.errors import LineTimeout, LineUnavailable


@pytest.fixture
def reader_setup(hall):
    emulator = IdCardReaderEmulator()
    cable, server, settings = hall.connect(emulator)
    reader = IdCardReader(hall.line(settings))
    return emulator, cable, server, reader


def test_find_select_read_then_lift_and_present_again(reader_setup):
    emulator, _, _, reader = reader_setup
    card = demo_cards()[0]
    reader.check_sam()
    assert reader.read_card() is None
    emulator.present(card)
    assert reader.read_card() == card
    assert reader.read_card() is None  # still lying on the reader: no second read
    emulator.remove()
    emulator.present(card)
    assert reader.read_card() == card
    assert emulator.reads_served == 2


def test_card_removed_mid_read_gives_a_clear_error(reader_setup):
    emulator, _, _, reader = reader_setup
    emulator.present(demo_cards()[1])
    emulator.remove_during_read = True
    with pytest.raises(ReaderStatusError, match=r"READ_BASE failed .* 41: reading the card failed; lift"):
        reader.read_card()
    emulator.present(demo_cards()[1])
    assert reader.read_card().name == "李娜"


def test_sam_self_test_failure_is_reported(reader_setup):
    emulator, _, _, reader = reader_setup
    emulator.sam_status = 0x60
    with pytest.raises(ReaderStatusError, match="SAM self-test failed"):
        reader.check_sam()


def test_bit_flip_in_the_photo_is_never_accepted(reader_setup):
    """The reply is corrupted; the repeated read is refused by the SAM (the presentation is used up)."""
    emulator, cable, _, reader = reader_setup
    emulator.present(demo_cards()[0])
    # find (15) + select (19) replies, then 700 bytes into the read reply: inside the photo.
    cable.b_to_a.flip(cable.b_to_a.count + 15 + 19 + 700, 0x04)
    with pytest.raises(ReaderStatusError, match="lift the card"):
        reader.read_card()
    assert "noise" in reader.line.frames.report()
    emulator.remove()
    emulator.present(demo_cards()[0])
    assert reader.read_card() == demo_cards()[0]


def test_garbage_and_fragments_between_frames(reader_setup):
    emulator, cable, _, reader = reader_setup
    emulator.present(demo_cards()[2])
    cable.b_to_a.insert(cable.b_to_a.count, b"\xaa\xaa\x00\x13\x37")
    cable.b_to_a.insert(cable.b_to_a.count + 15, b"\xaa\xaa\xaa\x96\x69\xff")  # a header promising too much
    cable.b_to_a.fragments = (50, 0.01)
    assert reader.read_card() == demo_cards()[2]


def test_dropped_byte_in_find_reply_is_repeated(reader_setup):
    emulator, cable, _, reader = reader_setup
    emulator.present(demo_cards()[0])
    cable.b_to_a.drop(cable.b_to_a.count + 9)
    assert reader.read_card() == demo_cards()[0]


def test_muted_reader_times_out_with_a_clear_error(reader_setup):
    _, _, server, reader = reader_setup
    server.muted = True
    with pytest.raises(LineTimeout, match="no valid reply"):
        reader.check_sam()
    server.muted = False
    reader.check_sam()


def test_unplug_and_replug(reader_setup):
    emulator, cable, _, reader = reader_setup
    reader.check_sam()
    cable.unplug()
    with pytest.raises(LineUnavailable):
        reader.check_sam()
    cable.replug()
    emulator.present(demo_cards()[1])
    assert reader.read_card() == demo_cards()[1]  # the line reopened the same path behind our back
