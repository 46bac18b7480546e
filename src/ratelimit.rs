//! Rate limiting for warnings that repeat for as long as a fault lasts.
//!
//! The appliance logs to the journal on an SD card, so a fault that lasts hours must not write a
//! line per occurrence.

/// Counts occurrences of one warning and lets the 1st, 2nd, 4th, 8th ... through, so a lasting
/// fault writes a number of lines that grows with the logarithm of its length.
#[derive(Debug, Default, Clone)]
pub struct Repeats {
    count: u64,
}

impl Repeats {
    /// Counts one occurrence and returns true when this one should be logged.
    pub fn note(&mut self) -> bool {
        self.count += 1;
        self.count.is_power_of_two()
    }

    /// Returns the occurrences counted since the last reset.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Ends a run of occurrences and returns its length.
    pub fn reset(&mut self) -> u64 {
        std::mem::take(&mut self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_two_logged() {
        let mut repeats = Repeats::default();
        let mut logged = Vec::new();
        for occurrence in 1..=20 {
            if repeats.note() {
                logged.push(occurrence);
            }
        }
        assert_eq!(logged, vec![1, 2, 4, 8, 16]);
        assert_eq!(repeats.reset(), 20);
        assert!(repeats.note());
    }
}
