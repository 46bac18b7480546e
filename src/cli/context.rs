//! The shared setup of every changing command: the validated configuration, the keep set, the saved
//! selection and the netlink connection.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use anyhow::Context as _;

use super::BadInput;
use crate::config::Config;
use crate::isolation::state::{Loaded, StateStore};
use crate::isolation::{Engine, KeepSet, StaticUplink};
use crate::netlink::{Netlink, NetlinkOptions};

pub struct Context {
    pub config: Config,
    pub keep: KeepSet,
    pub store: StateStore,
}

impl Context {
    /// Loads the configuration; a malformed file is bad input (exit 2) naming every problem.
    pub fn load(config_path: &Path, state_dir: &Path) -> anyhow::Result<Context> {
        let config = load_config(config_path)?;
        let patterns = config
            .isolation
            .keep
            .iter()
            .map(|pattern| pattern.as_str().to_string());
        let keep = KeepSet::new(patterns).map_err(|error| BadInput(error.to_string()))?;
        Ok(Context {
            config,
            keep,
            store: StateStore::new(state_dir),
        })
    }

    /// Builds the engine for `selection` with the keep set and the configured uplink addressing.
    pub fn engine(&self, selection: Option<String>) -> Engine {
        Engine::new(selection, self.keep.clone()).with_static_uplinks(self.static_uplinks())
    }

    /// Returns `[uplink.<name>]` as the engine's addressing per uplink name.
    fn static_uplinks(&self) -> BTreeMap<String, StaticUplink> {
        let uplinks = self.config.uplinks.iter().map(|(name, settings)| {
            let addresses = [settings.address, settings.address6]
                .into_iter()
                .flatten()
                .map(|cidr| (cidr.address, cidr.prefix_len))
                .collect();
            let gateways = [
                settings.gateway.map(IpAddr::V4),
                settings.gateway6.map(IpAddr::V6),
            ]
            .into_iter()
            .flatten()
            .collect();
            (
                name.clone(),
                StaticUplink {
                    addresses,
                    gateways,
                },
            )
        });
        uplinks.collect()
    }

    /// Takes the state directory's lock, so that one process at a time enforces isolation.
    ///
    /// Two enforcers with different selections would take each other's uplink down in turn.
    pub fn lock(&self) -> anyhow::Result<std::fs::File> {
        match self.store.try_lock()? {
            Some(lock) => Ok(lock),
            None => anyhow::bail!(
                "another rustyjack process (the service, or a `select --watch`) is enforcing isolation with {}; choose the uplink on its screen, or stop it first (systemctl stop rustyjack)",
                self.store
                    .path()
                    .parent()
                    .map_or_else(String::new, |dir| dir.display().to_string())
            ),
        }
    }

    /// Opens the request connection with the configured deadline.
    pub fn connect(&self) -> anyhow::Result<Netlink> {
        let options = NetlinkOptions {
            timeout: self.config.isolation.request_timeout,
            ..NetlinkOptions::default()
        };
        Netlink::connect(options).context("cannot open the netlink connection")
    }

    /// Returns the saved uplink; a damaged file has been set aside and counts as no selection.
    pub fn saved_selection(&self) -> anyhow::Result<Option<String>> {
        match self.store.load()? {
            Loaded::None => Ok(None),
            Loaded::Selected(name) => Ok(Some(name)),
            Loaded::Damaged { kept_as, reason } => {
                tracing::error!(kept_as = %kept_as.display(), cause = %reason, "saved selection damaged");
                eprintln!(
                    "rustyjack: the saved selection was damaged ({reason}); it was kept as {} and no uplink is selected. Choose one with `rustyjack select IFACE`.",
                    kept_as.display()
                );
                Ok(None)
            }
        }
    }
}

/// Reads the configuration file; problems in it are bad input, an unreadable file a failure.
pub fn load_config(path: &Path) -> anyhow::Result<Config> {
    match Config::load(path) {
        Ok(config) => Ok(config),
        Err(error) if error.is_invalid() => Err(BadInput(format!(
            "invalid configuration:\n{error}\nFix these keys in {} (deploy/config.example.toml documents every key)",
            path.display()
        ))
        .into()),
        // An unreadable file (a directory, bytes that are not UTF-8, no permission) is also the
        // operator's input to fix.
        Err(error) => {
            let cause = std::error::Error::source(&error)
                .map(|source| format!(": {source}"))
                .unwrap_or_default();
            Err(BadInput(format!(
                "{error}{cause}; give --config a readable TOML file (deploy/config.example.toml documents every key)"
            ))
            .into())
        }
    }
}
