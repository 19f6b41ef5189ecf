"""The local file store: round trips, key format, traversal refusal, permissions, atomicity, races."""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from rolecall.platform import storage
from rolecall.platform.storage import (
    FileStore,
    InvalidFileKey,
    LocalFileStore,
    StorageError,
    StoredFileNotFound,
    is_file_key,
    new_file_key,
)

PDF = "application/pdf"


@pytest.fixture
def store(tmp_path: Path) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files")


@pytest.fixture
def umask_zero() -> Iterator[None]:
    """A permissive umask, so the modes asserted below come from the store, not from the umask."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


async def test_put_then_get_returns_the_same_bytes(store: LocalFileStore) -> None:
    data = os.urandom(4096) + b"\x00tail"
    key = await store.put(data, content_type=PDF)
    assert await store.get(key) == data
    assert await store.exists(key)


async def test_keys_are_fresh_uuid7_hex_and_never_repeat(store: LocalFileStore) -> None:
    keys = [await store.put(b"same bytes", content_type="text/plain") for _ in range(20)]
    assert len(set(keys)) == 20
    assert all(is_file_key(k) and len(k) == 32 for k in keys)
    assert all(k[12] == "7" for k in keys)
    assert keys == sorted(keys)  # time-ordered


async def test_layout_fans_out_on_the_random_end_of_the_key(store: LocalFileStore) -> None:
    key = await store.put(b"x", content_type=PDF)
    expected = store.root / key[-4:-2] / key[-2:] / key
    assert store.path_for(key) == expected
    assert _all_files(store.root) == [expected]


async def test_put_does_not_take_any_part_of_the_path_from_the_data_or_type(store: LocalFileStore) -> None:
    key = await store.put(b"../../etc/passwd", content_type='text/plain; name="../../x"')
    assert is_file_key(key)
    assert [p.name for p in _all_files(store.root)] == [key]


@pytest.mark.usefixtures("umask_zero")
async def test_directories_are_0700_and_files_0600(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "new-root")
    key = await store.put(b"secret", content_type=PDF)
    path = store.path_for(key)
    assert _mode(store.root) == 0o700
    assert _mode(path.parent) == 0o700
    assert _mode(path.parent.parent) == 0o700
    assert _mode(path) == 0o600


async def test_get_of_a_missing_key_raises_not_found(store: LocalFileStore) -> None:
    with pytest.raises(StoredFileNotFound):
        await store.get(new_file_key())


async def test_delete_is_idempotent(store: LocalFileStore) -> None:
    key = await store.put(b"bye", content_type=PDF)
    await store.delete(key)
    assert not await store.exists(key)
    assert not store.path_for(key).exists()
    await store.delete(key)  # again: no error
    await store.delete(new_file_key())  # never existed: no error


async def test_exists_is_false_for_an_unknown_key(store: LocalFileStore) -> None:
    await store.put(b"other", content_type=PDF)
    assert not await store.exists(new_file_key())


TRAVERSAL_KEYS = [
    "../x",
    "../../etc/passwd",
    "/etc/passwd",
    "%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2fx",
    "..%2f..%2fx",
    "..\\..\\x",
    ".",
    "..",
    "",
]


# A fixed, well-formed UUIDv7 key: parametrised ids must be identical in every xdist worker.
_SAMPLE_KEY = "01a2088590ea7eb3856bdecff62fe429"


def _malformed_keys() -> list[str]:
    assert is_file_key(_SAMPLE_KEY)
    key = _SAMPLE_KEY
    return [
        *TRAVERSAL_KEYS,
        key + "\n",  # "$" in a regex would accept this
        key + "\x00",
        " " + key,
        key.upper(),
        key[:-1],
        key + "0",
        f"{key[-4:-2]}/{key[-2:]}/{key}",  # the on-disk relative path is not a key
        f"../{key}",
        "0" * 32,  # right length, wrong version
        "01890f3c4b2a4d2e8f1a2b3c4d5e6f70",  # a UUIDv4, not v7
        "01890f3c4b2a7d2e0f1a2b3c4d5e6f70",  # v7 with a wrong variant nibble
    ]


@pytest.mark.parametrize("bad", _malformed_keys())
async def test_every_method_refuses_keys_not_in_the_stores_format(store: LocalFileStore, bad: str) -> None:
    assert not is_file_key(bad)
    with pytest.raises(InvalidFileKey):
        await store.get(bad)
    with pytest.raises(InvalidFileKey):
        await store.exists(bad)
    with pytest.raises(InvalidFileKey):
        await store.delete(bad)
    with pytest.raises(InvalidFileKey):
        store.path_for(bad)


async def test_non_string_keys_are_refused(store: LocalFileStore) -> None:
    for bad in (None, 123, b"0" * 32, Path("x")):
        with pytest.raises(InvalidFileKey):
            await store.get(bad)  # type: ignore[arg-type]  # the point of the test


async def test_delete_with_a_traversal_key_leaves_files_outside_the_root_alone(
    tmp_path: Path, store: LocalFileStore
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    for bad in ("../victim", str(victim), "%2e%2e/victim"):
        with pytest.raises(InvalidFileKey):
            await store.delete(bad)
    assert victim.read_bytes() == b"keep me"


async def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path, store: LocalFileStore) -> None:
    outside = tmp_path / "outside-secret"
    outside.write_bytes(b"not yours")
    key = new_file_key()
    path = store.path_for(key)
    path.parent.mkdir(parents=True)
    path.symlink_to(outside)
    for operation in (store.get, store.exists, store.delete):
        with pytest.raises(StorageError, match="outside the store root") as caught:
            await operation(key)
        assert type(caught.value) is StorageError
    assert outside.read_bytes() == b"not yours"


async def test_a_symlink_inside_the_root_is_not_followed(store: LocalFileStore) -> None:
    real = await store.put(b"another candidate's resume", content_type=PDF)
    key = new_file_key()
    path = store.path_for(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(store.path_for(real))
    with pytest.raises(StorageError, match="symbolic link"):
        await store.get(key)
    assert not await store.exists(key)


async def test_a_symlinked_fan_out_directory_is_refused(
    tmp_path: Path, store: LocalFileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    key = new_file_key()
    (store.root / key[-4:-2]).mkdir()
    (store.root / key[-4:-2] / key[-2:]).symlink_to(outside, target_is_directory=True)
    (outside / key).write_bytes(b"planted")
    with pytest.raises(StorageError, match="outside the store root"):
        await store.get(key)
    monkeypatch.setattr(storage, "new_file_key", lambda: key)
    with pytest.raises(StorageError, match="outside the store root"):
        await store.put(b"new", content_type=PDF)
    assert [p.name for p in outside.iterdir()] == [key]
    assert (outside / key).read_bytes() == b"planted"


@pytest.mark.parametrize("content_type", ["", "pdf", "text/plain\r\nX-Injected: 1", "a/" + "b" * 300])
async def test_put_refuses_a_malformed_content_type(store: LocalFileStore, content_type: str) -> None:
    with pytest.raises(ValueError, match="media type"):
        await store.put(b"x", content_type=content_type)
    assert _all_files(store.root) == []


async def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(
    store: LocalFileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        await store.put(b"half", content_type=PDF)
    assert _all_files(store.root) == []


async def test_a_put_leaves_no_temporary_file_behind(store: LocalFileStore) -> None:
    keys = [await store.put(b"%d" % i, content_type=PDF) for i in range(5)]
    assert sorted(p.name for p in _all_files(store.root)) == sorted(keys)


async def test_temporary_files_are_invisible_through_the_interface(store: LocalFileStore) -> None:
    key = new_file_key()
    directory = store.path_for(key).parent
    directory.mkdir(parents=True)
    (directory / f".tmp-{key}").write_bytes(b"partial")
    assert not await store.exists(key)
    with pytest.raises(InvalidFileKey):
        await store.get(f".tmp-{key}")


async def test_concurrent_puts_all_land_intact(store: LocalFileStore) -> None:
    payloads = [os.urandom(1000 + i) for i in range(40)]
    keys: dict[int, str] = {}

    async def put(i: int) -> None:
        keys[i] = await store.put(payloads[i], content_type=PDF)

    async with anyio.create_task_group() as tg:
        for i in range(len(payloads)):
            tg.start_soon(put, i)
    assert len(set(keys.values())) == len(payloads)
    for i, payload in enumerate(payloads):
        assert await store.get(keys[i]) == payload


async def test_concurrent_puts_into_the_same_new_directory_do_not_collide(
    store: LocalFileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Keys that share their fan-out directories, so every put races to create the same two levels.
    counter = itertools.count()

    def same_directory_key() -> str:
        return f"{next(counter):012x}7000a{'0' * 11}beef"

    monkeypatch.setattr(storage, "new_file_key", same_directory_key)
    results: list[str] = []

    async def put(i: int) -> None:
        results.append(await store.put(b"n%d" % i, content_type=PDF))

    async with anyio.create_task_group() as tg:
        for i in range(30):
            tg.start_soon(put, i)
    assert len(set(results)) == 30
    assert {p.parent for p in _all_files(store.root)} == {store.root / "be" / "ef"}
    assert sorted([await store.get(k) for k in results]) == sorted(b"n%d" % i for i in range(30))


def test_root_is_created_when_missing_and_must_be_a_directory(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "a" / "b")
    assert store.root.is_dir()
    not_a_dir = tmp_path / "file"
    not_a_dir.write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        LocalFileStore(not_a_dir)


def test_local_store_satisfies_the_protocol(store: LocalFileStore) -> None:
    assert isinstance(store, FileStore)
