"""Folders and tar archives as sources: maildir trees, folders of .eml, mixes of formats, limits.

Fixtures are written by real tools: Python's `mailbox.Maildir` and `mailbox.mbox`, the
`email.generator`, and `tarfile`/`zipfile`.
"""

from __future__ import annotations

import io
import json
import mailbox
import os
import tarfile
import zipfile
from email.generator import BytesGenerator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tools.ingest import IngestError, ingest_bytes, ingest_path


def message(subject: str, sender: str = "a@enron.com", body: str = "body text") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "b@enron.com"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 14 May 2001 16:39:00 -0700"
    msg["Message-ID"] = f"<{subject.replace(' ', '.')}@enron.com>"
    msg.set_content(body)
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    buffer = io.BytesIO()
    BytesGenerator(buffer).flatten(msg)
    return buffer.getvalue()


def enron_tree(root: Path) -> dict[str, str]:
    """The CMU Enron layout: user/folder/1., 2., ... (subject -> relative path)."""
    written = {}
    for user, folder, count in (("allen-p", "inbox", 2), ("allen-p", "_sent_mail", 1),
                                ("arnold-j", "deal/2001", 1)):  # fmt: skip
        for number in range(1, count + 1):
            path = root / user / folder / f"{number}."
            path.parent.mkdir(parents=True, exist_ok=True)
            subject = f"{user} {folder} {number}"
            path.write_bytes(message_bytes(message(subject)))
            written[subject] = f"{user}/{folder}"
    return written


# Folders ----------------------------------------------------------------------------------------
def test_enron_maildir_folder_reads_every_message_with_its_folder(tmp_path):
    expected = enron_tree(tmp_path / "maildir")
    result = ingest_path(tmp_path / "maildir")
    assert result.format == "folder"
    assert {e.subject: e.folder for e in result.corpus} == expected
    assert {e.source for e in result.corpus} >= {"maildir/allen-p/inbox/1."}
    assert result.problems == []


def test_maildir_written_by_the_mailbox_module_drops_cur_new_tmp(tmp_path):
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    box.add(message_bytes(message("in the inbox")))
    sent = box.add_folder("Sent")
    sent.add(mailbox.MaildirMessage(message_bytes(message("sent one"))))
    key = sent.add(mailbox.MaildirMessage(message_bytes(message("sent two"))))
    read = sent.get_message(key)
    read.set_subdir("cur")
    sent[key] = read  # moved to cur/ with an info suffix
    result = ingest_path(tmp_path / "Mail")
    assert {e.subject: e.folder for e in result.corpus} == {
        "in the inbox": None,
        "sent one": ".Sent",
        "sent two": ".Sent",
    }
    # Maildir++ writes a `maildirfolder` marker file: reported, not read as mail
    assert [p.reason for p in result.problems] == ["empty file"]


def test_folder_of_eml_and_mixed_formats_with_skipped_files_reported(tmp_path):
    root = tmp_path / "export"
    (root / "eml").mkdir(parents=True)
    (root / "eml" / "one.eml").write_bytes(message_bytes(message("from eml")))
    (root / "json").mkdir()
    (root / "json" / "mail.json").write_text(
        json.dumps([{"from": "c@x.com", "subject": "from json", "body": "j"}])
    )
    box = mailbox.mbox(root / "archive.mbox")
    box.add(message_bytes(message("from mbox")))
    box.close()
    (root / "notes.bin").write_bytes(b"\x00\x01\x02\x03")
    (root / "empty.eml").write_bytes(b"")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "link.eml").symlink_to(tmp_path / "outside.eml")
    (tmp_path / "outside.eml").write_bytes(message_bytes(message("outside the root")))
    with zipfile.ZipFile(root / "inner.zip", "w") as archive:
        archive.writestr("zipped/2.eml", message_bytes(message("from zip")))
    result = ingest_path(root)
    assert {e.subject: e.folder for e in result.corpus} == {
        "from eml": "eml",
        "from json": "json",
        "from mbox": None,
        "from zip": "zipped",
    }
    assert {(p.source, p.reason) for p in result.problems} == {
        ("export/notes.bin", "not an email file (unknown format)"),
        ("export/empty.eml", "empty file"),
        ("export/link.eml", "a symbolic link: not followed"),
    }


def test_folder_size_limit_stops_and_says_so(tmp_path):
    for number in range(5):
        (tmp_path / f"{number}.eml").write_bytes(
            message_bytes(message(f"n{number}", body="x" * 400))
        )
    result = ingest_path(tmp_path, max_bytes=1500)
    assert 1 <= len(result.corpus) < 5
    assert "more than the" in result.problems[-1].reason


def test_folder_with_nothing_usable_names_the_first_problem(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"\x00\x01")
    with pytest.raises(IngestError, match="not an email file"):
        ingest_path(tmp_path)


# tar --------------------------------------------------------------------------------------------
def tar_of(tree: Path, mode: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        archive.add(tree, arcname=tree.name)
    return buffer.getvalue()


@pytest.mark.parametrize(("mode", "name"), [("w", "enron.tar"), ("w:gz", "enron.tar.gz"),
                                            ("w:bz2", "enron.tbz2"), ("w:xz", "x.txz")])  # fmt: skip
def test_tar_of_a_maildir_tree_in_every_compression(tmp_path, mode, name):
    expected = enron_tree(tmp_path / "maildir")
    data = tar_of(tmp_path / "maildir", mode)
    path = tmp_path / name
    path.write_bytes(data)
    for result in (ingest_path(path), ingest_bytes(data, "upload")):
        assert result.format == "tar"
        assert {e.subject: e.folder for e in result.corpus} == {
            subject: f"maildir/{folder}" for subject, folder in expected.items()
        }
        assert f"{result.source}!maildir/allen-p/inbox/1." in {e.source for e in result.corpus}


def add_member(archive: tarfile.TarFile, name: str, data: bytes, **attributes: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attributes.items():
        setattr(info, key, value)
    archive.addfile(info, io.BytesIO(data))


def test_tar_member_names_with_traversal_are_only_labels(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        add_member(archive, "../../etc/evil/1.", message_bytes(message("traversal")))
        add_member(archive, "/abs/inbox/2.", message_bytes(message("absolute")))
        link = tarfile.TarInfo("inbox/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
        add_member(archive, "inbox/nested.tar", tar_of(_small_tree(tmp_path), "w"))
    before = set(os.listdir(tmp_path))
    result = ingest_bytes(buffer.getvalue(), "hostile.tgz")
    assert {e.subject: e.folder for e in result.corpus} == {
        "traversal": "etc/evil",
        "absolute": "abs/inbox",
    }
    assert {p.reason for p in result.problems} == {
        "a link, not a file: not read",
        "archive inside the archive not opened (one level only)",
    }
    assert set(os.listdir(tmp_path)) == before  # nothing unpacked anywhere


def _small_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "small"
    tree.mkdir()
    (tree / "1.eml").write_bytes(message_bytes(message("small")))
    return tree


def test_tar_bomb_stops_at_the_unpacked_limit():
    buffer = io.BytesIO()
    filler = message_bytes(message("big", body="0" * 3_000_000))
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        add_member(archive, "a.eml", message_bytes(message("first")))
        add_member(archive, "bomb.eml", filler)
        add_member(archive, "c.eml", filler)
    assert len(buffer.getvalue()) < 100_000
    result = ingest_bytes(buffer.getvalue(), "bomb.tar.gz", max_bytes=1_000_000)
    assert [e.subject for e in result.corpus] == ["first"]
    assert "more than the" in result.problems[-1].reason


def test_truncated_tar_keeps_the_members_before_the_damage(tmp_path):
    enron_tree(tmp_path / "maildir")
    data = tar_of(tmp_path / "maildir", "w")
    cut = data[: len(data) // 2]
    result = ingest_bytes(cut, "cut.tar")
    assert 1 <= len(result.corpus) < 4
    assert all(e.folder and e.folder.startswith("maildir/") for e in result.corpus)


def test_gzip_that_is_not_a_tar_and_an_empty_tar_are_refused():
    import gzip

    with pytest.raises(IngestError, match="not a readable tar archive"):
        ingest_bytes(gzip.compress(b"From: a@x\nSubject: s\n\nbody"), "mail.eml.gz")
    empty = io.BytesIO()
    tarfile.open(fileobj=empty, mode="w").close()
    with pytest.raises(IngestError, match="empty tar archive"):
        ingest_bytes(empty.getvalue(), "empty.tar")


def test_zip_of_a_maildir_tree_keeps_folders(tmp_path):
    expected = enron_tree(tmp_path / "maildir")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((tmp_path / "maildir").rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tmp_path / "maildir").as_posix())
    result = ingest_bytes(buffer.getvalue(), "maildir.zip")
    assert {e.subject: e.folder for e in result.corpus} == expected


# Gmail Takeout ----------------------------------------------------------------------------------
def test_gmail_takeout_labels_become_the_folder(tmp_path):
    box = mailbox.mbox(tmp_path / "All mail Including Spam and Trash.mbox")
    labelled = message("labelled")
    labelled["X-GM-THRID"] = "1234"
    labelled["X-Gmail-Labels"] = "Inbox,Important,Opened,Projects/Lakeside"
    box.add(message_bytes(labelled))
    only_states = message("only states")
    only_states["X-Gmail-Labels"] = "Opened"
    box.add(message_bytes(only_states))
    box.close()
    result = ingest_path(tmp_path / "All mail Including Spam and Trash.mbox")
    assert {e.subject: e.folder for e in result.corpus} == {
        "labelled": "Inbox, Important, Projects/Lakeside",
        "only states": None,
    }


def test_command_line_checks_a_folder(tmp_path, capsys):
    from tools.ingest.__main__ import main

    enron_tree(tmp_path / "maildir")
    (tmp_path / "maildir" / "readme.bin").write_bytes(b"\x00\x01")
    assert main([str(tmp_path / "maildir"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["format"], report["emails"], report["rejected"]) == ("folder", 4, 1)
    assert report["problems"][0]["source"] == "maildir/readme.bin"
    assert main([str(tmp_path / "missing")]) == 2
