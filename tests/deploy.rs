//! Checks of the shipped deployment files: the systemd unit, the Debian package metadata and the
//! cross-build configuration.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

const UNIT: &str = include_str!("../deploy/rustyjack.service");
const README: &str = include_str!("../deploy/README.md");

/// Returns every `Key=value` line of the unit; a key set twice keeps each value.
fn unit_settings() -> HashMap<&'static str, Vec<&'static str>> {
    let mut settings: HashMap<&str, Vec<&str>> = HashMap::new();
    for line in UNIT.lines() {
        if line.starts_with('#') || line.starts_with('[') {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            settings.entry(key).or_default().push(value);
        }
    }
    settings
}

/// Writes the unit into a temporary directory with ExecStart pointing at the built binary,
/// because `systemd-analyze verify` rejects a unit whose program does not exist.
fn unit_with_test_binary() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_rustyjack");
    let text = UNIT.replace(
        "ExecStart=/usr/bin/rustyjack",
        &format!("ExecStart={binary}"),
    );
    assert_ne!(text, UNIT, "unit has no ExecStart=/usr/bin/rustyjack line");
    std::fs::write(dir.path().join("rustyjack.service"), text).unwrap();
    dir
}

fn systemd_analyze_present() -> bool {
    let found = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        eprintln!("skipped: systemd-analyze is not installed");
    }
    found
}

#[test]
fn unit_passes_systemd_analyze_verify() {
    if !systemd_analyze_present() {
        return;
    }
    let dir = unit_with_test_binary();
    let output = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(dir.path().join("rustyjack.service"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "systemd-analyze verify failed:\n{stderr}"
    );
    assert!(
        stderr.trim().is_empty(),
        "systemd-analyze verify warned:\n{stderr}"
    );
}

#[test]
fn unit_exposure_is_low() {
    if !systemd_analyze_present() {
        return;
    }
    let dir = unit_with_test_binary();
    let output = Command::new("systemd-analyze")
        .args(["security", "--offline=true"])
        .arg(dir.path().join("rustyjack.service"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let marker = "Overall exposure level for rustyjack.service: ";
    let Some(rest) = stdout
        .lines()
        .find_map(|line| line.split_once(marker).map(|(_, r)| r))
    else {
        eprintln!("skipped: this systemd-analyze has no offline security check");
        return;
    };
    let score: f64 = rest.split_whitespace().next().unwrap().parse().unwrap();
    // systemd rates 0 to 10; below 3 is "OK" or better.
    assert!(score < 3.0, "exposure level {score}:\n{stdout}");
}

#[test]
fn unit_has_contract_settings() {
    let settings = unit_settings();
    let expected = [
        ("Type", "notify"),
        ("NotifyAccess", "main"),
        ("ExecStart", "/usr/bin/rustyjack run"),
        ("WatchdogSec", "30s"),
        ("Restart", "on-failure"),
        ("Before", "network-pre.target shutdown.target"),
        ("Wants", "network-pre.target"),
        ("CapabilityBoundingSet", "CAP_NET_ADMIN"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("StateDirectory", "rustyjack"),
        ("ConfigurationDirectory", "rustyjack"),
        ("DevicePolicy", "closed"),
        ("DeviceAllow", "/dev/spidev0.0 rw"),
        ("DeviceAllow", "/dev/gpiomem rw"),
        ("DeviceAllow", "/dev/gpiochip0 rw"),
        ("RestrictAddressFamilies", "AF_UNIX AF_NETLINK"),
        ("ProtectKernelTunables", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallArchitectures", "native"),
        ("RestrictRealtime", "yes"),
    ];
    for (key, value) in expected {
        let values = settings.get(key).map(Vec::as_slice).unwrap_or_default();
        assert!(
            values.contains(&value),
            "{key}={value} missing; unit has {values:?}"
        );
    }
}

#[test]
fn unit_omits_conflicting_settings() {
    let settings = unit_settings();
    // PrivateNetwork would hide the host's interfaces, PrivateDevices the SPI and GPIO nodes,
    // and the service runs as root, so it has no use for User or an ambient capability.
    for key in [
        "PrivateNetwork",
        "PrivateDevices",
        "AmbientCapabilities",
        "User",
    ] {
        assert!(!settings.contains_key(key), "unit sets {key}");
    }
    assert!(
        settings.contains_key("RestartSec"),
        "unit has no RestartSec"
    );
}

#[test]
fn deb_assets_exist() {
    let manifest: toml::Table = include_str!("../Cargo.toml").parse().unwrap();
    let deb = &manifest["package"]["metadata"]["deb"];
    let assets = deb["assets"].as_array().expect("assets is an array");
    assert!(!assets.is_empty());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for asset in assets {
        let source = asset[0].as_str().unwrap();
        if source.starts_with("target/") {
            continue;
        }
        assert!(
            root.join(source).is_file(),
            "deb asset {source} does not exist"
        );
    }
    let targets: Vec<&str> = assets.iter().map(|a| a[1].as_str().unwrap()).collect();
    assert!(targets.contains(&"usr/bin/"), "{targets:?}");
    assert!(targets.contains(&"lib/systemd/system/"), "{targets:?}");
}

#[test]
fn cross_config_points_at_dockerfile() {
    let cross: toml::Table = include_str!("../Cross.toml").parse().unwrap();
    let target = &cross["target"]["aarch64-unknown-linux-gnu"];
    let dockerfile = target["dockerfile"]["file"].as_str().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join(dockerfile).is_file(),
        "{dockerfile} does not exist"
    );

    let cargo: toml::Table = include_str!("../.cargo/config.toml").parse().unwrap();
    let linker = cargo["target"]["aarch64-unknown-linux-gnu"]["linker"].as_str();
    assert_eq!(linker, Some("aarch64-linux-gnu-gcc"));
}

#[test]
fn readme_covers_boot_and_managers() {
    for needle in [
        "dtparam=spi=on",
        "unmanaged-devices",
        "denyinterfaces",
        "systemd-networkd",
        "systemctl disable --now rustyjack",
        "cargo deb",
    ] {
        assert!(
            README.contains(needle),
            "deploy/README.md does not mention {needle}"
        );
    }
}
