//! What the inventory takes from the machine it runs on: the home directory,
//! the user name, the working directory and `$MAILTRACE_INVENTORY`. Gathered
//! in one value so that tests can supply their own.

use std::path::{Path, PathBuf};

use super::error::InventoryError;

/// The environment variable that names the inventory file.
pub const INVENTORY_VAR: &str = "MAILTRACE_INVENTORY";

/// The parts of the process environment the inventory depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Env {
    /// `$HOME`, which `~` expands to.
    pub home: Option<PathBuf>,
    /// `$USER`, the SSH user when nothing else names one.
    pub user: Option<String>,
    /// The working directory, where `./inventory.yaml` is looked for.
    pub cwd: PathBuf,
    /// `$MAILTRACE_INVENTORY`.
    pub inventory: Option<PathBuf>,
}

impl Env {
    /// Reads the environment of this process.
    pub fn from_process() -> Env {
        let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Env {
            home: non_empty("HOME").map(PathBuf::from),
            user: non_empty("USER").and_then(|v| v.into_string().ok()),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            inventory: non_empty(INVENTORY_VAR).map(PathBuf::from),
        }
    }

    /// The user to log in as when neither the inventory nor the SSH
    /// configuration names one.
    pub fn default_user(&self) -> String {
        self.user.clone().unwrap_or_else(|| "root".to_string())
    }

    /// Expands a leading `~` to the home directory. Without a known home the
    /// text is kept as written.
    pub fn expand_tilde(&self, text: &str) -> String {
        let Some(home) = &self.home else {
            return text.to_string();
        };
        let home = home.display().to_string();
        if text == "~" {
            home
        } else if let Some(rest) = text.strip_prefix("~/") {
            format!("{}/{rest}", home.trim_end_matches('/'))
        } else {
            text.to_string()
        }
    }

    /// A local path as written in the inventory: `~` expanded, and a relative
    /// path taken relative to the directory holding the inventory file.
    pub fn local_path(&self, text: &str, base: &Path) -> PathBuf {
        let path = PathBuf::from(self.expand_tilde(text));
        if path.is_relative() && !base.as_os_str().is_empty() {
            base.join(path)
        } else {
            path
        }
    }

    /// Finds the inventory file: `explicit` (the `-i` option), then
    /// `$MAILTRACE_INVENTORY`, then `./inventory.yaml`, then
    /// `~/.config/mailtrace/inventory.yaml`. A file named explicitly or by the
    /// variable must exist; the error lists every place looked at.
    pub fn locate(&self, explicit: Option<&Path>) -> Result<PathBuf, InventoryError> {
        if let Some(named) = explicit
            .map(Path::to_path_buf)
            .or_else(|| self.inventory.clone())
        {
            let named = PathBuf::from(self.expand_tilde(&named.to_string_lossy()));
            return if named.is_file() {
                Ok(named)
            } else {
                Err(InventoryError::NotFound { tried: vec![named] })
            };
        }
        let mut tried = vec![self.cwd.join("inventory.yaml")];
        if let Some(home) = &self.home {
            tried.push(
                home.join(".config")
                    .join("mailtrace")
                    .join("inventory.yaml"),
            );
        }
        match tried.iter().find(|p| p.is_file()) {
            Some(found) => Ok(found.clone()),
            None => Err(InventoryError::NotFound { tried }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(home: &Path, cwd: &Path) -> Env {
        Env {
            home: Some(home.to_path_buf()),
            user: None,
            cwd: cwd.to_path_buf(),
            inventory: None,
        }
    }

    #[test]
    fn tilde_expands_only_at_the_start() {
        let e = env(Path::new("/home/ops"), Path::new("/"));
        assert_eq!(e.expand_tilde("~/.ssh/id_rsa"), "/home/ops/.ssh/id_rsa");
        assert_eq!(e.expand_tilde("~"), "/home/ops");
        assert_eq!(e.expand_tilde("/var/log/~x"), "/var/log/~x");
        assert_eq!(e.expand_tilde("~other/x"), "~other/x");
        let homeless = Env { home: None, ..e };
        assert_eq!(homeless.expand_tilde("~/x"), "~/x");
    }

    #[test]
    fn relative_local_paths_follow_the_inventory() {
        let e = env(Path::new("/home/ops"), Path::new("/"));
        assert_eq!(
            e.local_path("keys/id", Path::new("/etc/mailtrace")),
            PathBuf::from("/etc/mailtrace/keys/id")
        );
        assert_eq!(
            e.local_path("~/k", Path::new("/etc/mailtrace")),
            PathBuf::from("/home/ops/k")
        );
        assert_eq!(
            e.local_path("keys/id", Path::new("")),
            PathBuf::from("keys/id")
        );
    }

    #[test]
    fn default_user_falls_back_to_root() {
        let mut e = env(Path::new("/h"), Path::new("/"));
        assert_eq!(e.default_user(), "root");
        e.user = Some("ops".into());
        assert_eq!(e.default_user(), "ops");
    }

    #[test]
    fn locate_walks_the_search_order() {
        let home = tempfile::tempdir().unwrap();
        let cwd = tempfile::tempdir().unwrap();
        let mut e = env(home.path(), cwd.path());

        let err = e.locate(None).unwrap_err();
        let InventoryError::NotFound { tried } = err else {
            panic!("expected NotFound")
        };
        assert_eq!(
            tried,
            vec![
                cwd.path().join("inventory.yaml"),
                home.path().join(".config/mailtrace/inventory.yaml")
            ]
        );

        let in_home = home.path().join(".config/mailtrace/inventory.yaml");
        std::fs::create_dir_all(in_home.parent().unwrap()).unwrap();
        std::fs::write(&in_home, "hosts: {a: {}}\n").unwrap();
        assert_eq!(e.locate(None).unwrap(), in_home);

        let in_cwd = cwd.path().join("inventory.yaml");
        std::fs::write(&in_cwd, "hosts: {a: {}}\n").unwrap();
        assert_eq!(e.locate(None).unwrap(), in_cwd);

        let by_var = cwd.path().join("other.yaml");
        e.inventory = Some(by_var.clone());
        assert!(
            matches!(e.locate(None), Err(InventoryError::NotFound { tried }) if tried == vec![by_var.clone()])
        );
        std::fs::write(&by_var, "hosts: {a: {}}\n").unwrap();
        assert_eq!(e.locate(None).unwrap(), by_var);

        assert_eq!(e.locate(Some(&in_home)).unwrap(), in_home);
        let missing = cwd.path().join("missing.yaml");
        assert!(
            matches!(e.locate(Some(&missing)), Err(InventoryError::NotFound { tried }) if tried == vec![missing.clone()])
        );
    }
}
