//! Tests of the saved selection against a real temporary directory.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rustyjack::isolation::state::{Loaded, StateStore};

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Writes `content` as the selection file and loads it, expecting it to be reported damaged.
fn load_damaged(content: &[u8]) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::new(dir.path());
    fs::write(store.path(), content).unwrap();

    let Loaded::Damaged { kept_as, reason } = store.load().unwrap() else {
        panic!("{content:?} should be reported damaged");
    };
    (dir, kept_as, reason)
}

#[test]
fn load_without_file_is_none() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(StateStore::new(dir.path()).load().unwrap(), Loaded::None);
    let missing = StateStore::new(dir.path().join("absent"));
    assert_eq!(missing.load().unwrap(), Loaded::None);
}

#[test]
fn save_then_load_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::new(dir.path());

    store.save("eth0").unwrap();
    assert_eq!(store.load().unwrap(), Loaded::Selected("eth0".into()));

    store.save("wlan1").unwrap();
    assert_eq!(store.load().unwrap(), Loaded::Selected("wlan1".into()));
}

#[test]
fn saved_file_format() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::new(dir.path());
    store.save("eth0").unwrap();
    let text = fs::read_to_string(store.path()).unwrap();
    assert_eq!(text, r#"{"version":1,"uplink":"eth0"}"#);
    let mode = fs::metadata(store.path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn save_leaves_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::new(dir.path());
    for name in ["eth0", "eth1", "usb0"] {
        store.save(name).unwrap();
        assert_eq!(dir_entries(dir.path()), ["selection.json"]);
    }
}

#[test]
fn save_creates_missing_dir_private() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("var/lib/rustyjack");
    let store = StateStore::new(&state_dir);

    store.save("eth0").unwrap();

    let mode = fs::metadata(&state_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    assert_eq!(store.load().unwrap(), Loaded::Selected("eth0".into()));
}

#[test]
fn save_rejects_invalid_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::new(dir.path());
    for bad in ["", "eth:0", "a/b", "a b", "abcdefghijklmnop"] {
        assert!(store.save(bad).is_err(), "{bad:?}");
    }
    assert!(dir_entries(dir.path()).is_empty());
}

#[test]
fn clear_removes_selection() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::new(dir.path());
    store.save("eth0").unwrap();

    assert!(store.clear().unwrap());
    assert_eq!(store.load().unwrap(), Loaded::None);
    assert!(!store.clear().unwrap());
}

#[test]
fn damaged_file_kept_aside() {
    let content = b"{\"version\":1,\"uplink\":";
    let (dir, kept_as, reason) = load_damaged(content);

    assert!(reason.starts_with("invalid JSON"), "{reason}");
    assert_eq!(kept_as.parent(), Some(dir.path()));
    let kept_name = kept_as.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        kept_name.starts_with("selection.json.damaged-"),
        "{kept_name}"
    );
    assert_eq!(fs::read(&kept_as).unwrap(), content);
    assert!(!dir.path().join("selection.json").exists());

    let store = StateStore::new(dir.path());
    assert_eq!(store.load().unwrap(), Loaded::None);
}

#[test]
fn second_damaged_file_gets_new_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::new(dir.path());

    fs::write(store.path(), b"first").unwrap();
    let Loaded::Damaged { kept_as: first, .. } = store.load().unwrap() else {
        panic!("first file should be damaged");
    };
    fs::write(store.path(), b"second").unwrap();
    let Loaded::Damaged {
        kept_as: second, ..
    } = store.load().unwrap()
    else {
        panic!("second file should be damaged");
    };

    assert_ne!(first, second);
    assert_eq!(fs::read(&first).unwrap(), b"first");
    assert_eq!(fs::read(&second).unwrap(), b"second");
}

#[test]
fn empty_file_is_damaged() {
    let (_dir, _, reason) = load_damaged(b"");
    assert_eq!(reason, "file is empty");
}

#[test]
fn truncated_file_is_damaged() {
    let (_dir, _, reason) = load_damaged(b"{\"vers");
    assert!(reason.starts_with("invalid JSON"), "{reason}");
}

#[test]
fn unknown_version_is_damaged() {
    let (_dir, kept_as, reason) = load_damaged(br#"{"version":2,"uplink":"eth0","extra":true}"#);
    assert_eq!(
        reason,
        "unknown format version 2; this build reads version 1"
    );
    assert!(kept_as.exists());
}

#[test]
fn invalid_uplink_name_is_damaged() {
    let (_dir, _, reason) = load_damaged(br#"{"version":1,"uplink":"eth/0"}"#);
    assert!(reason.starts_with("invalid uplink name"), "{reason}");
}

#[test]
fn wrong_fields_are_damaged() {
    for content in [
        &br#"{"version":1}"#[..],
        br#"{"version":1,"uplink":3}"#,
        br#"{"version":1,"uplink":"eth0","more":1}"#,
        br#"["eth0"]"#,
        b"\xff\xfe",
    ] {
        let (_dir, kept_as, _) = load_damaged(content);
        assert_eq!(fs::read(&kept_as).unwrap(), content);
    }
}

#[test]
fn oversized_file_is_damaged() {
    let content = vec![b' '; 5000];
    let (_dir, kept_as, reason) = load_damaged(&content);
    assert_eq!(reason, "file is larger than 4096 bytes");
    assert_eq!(fs::read(&kept_as).unwrap().len(), 5000);
}

#[test]
fn save_error_names_directory() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    fs::write(&not_a_dir, b"").unwrap();

    let error = StateStore::new(&not_a_dir).save("eth0").unwrap_err();

    let expected = format!("cannot create directory {}", not_a_dir.display());
    assert_eq!(error.to_string(), expected);
}

#[test]
fn symlink_loop_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("selection.json");
    let other = dir.path().join("a");
    std::os::unix::fs::symlink(&other, &file).unwrap();
    std::os::unix::fs::symlink(&file, &other).unwrap();

    let loaded = StateStore::new(dir.path()).load().unwrap();

    assert!(matches!(loaded, Loaded::Damaged { .. }), "{loaded:?}");
    assert!(
        std::fs::symlink_metadata(&file).is_err(),
        "the loop was moved aside"
    );
}
