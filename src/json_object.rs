//! Stored records are read back only as the JSON objects ociref writes. A derived `Deserialize` also
//! accepts a struct as an array of its fields in order; that second path is sizeable code in the
//! component for every record type, and no record is ever written that way.

use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// A record (a struct), or a struct field, read from a JSON object only.
pub(crate) fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    T::deserialize(ObjectOnly(deserializer))
}

/// An optional struct field, `null` or a JSON object.
pub(crate) fn optional_object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    Ok(Option::<Object<T>>::deserialize(deserializer)?.map(|o| o.0))
}

/// A map of string keys to structs, each read from a JSON object only.
pub(crate) fn object_values<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, T>, D::Error> {
    struct Values<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Values<T> {
        type Value = BTreeMap<String, T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut values = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                let Object(value) = map.next_value()?;
                values.insert(key, value);
            }
            Ok(values)
        }
    }
    deserializer.deserialize_map(Values(PhantomData))
}

struct Object<T>(T);
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        object(deserializer).map(Self)
    }
}

/// Reads a struct with `deserialize_map`, so its derived sequence path is never compiled in.
/// Meant for structs only: anything else is read through `deserialize_any`.
struct ObjectOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_map(visitor)
    }

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::policy::{Policy, Selection};

    fn read(json: &str) -> serde_json::Result<Selection> {
        object(&mut serde_json::Deserializer::from_str(json))
    }

    #[test]
    fn reads_objects_and_refuses_arrays() {
        let s = read(r#"{"policy":"last-push","include_prereleases":true}"#).unwrap();
        assert_eq!((s.policy, s.include_prereleases), (Policy::LastPush, true));
        assert!(read(r#"["semver",false]"#).is_err());
        assert!(read(r#"{"policy":"semver"}"#).is_err(), "missing field");
    }

    #[test]
    fn optional_objects() {
        #[derive(Debug, Deserialize)]
        struct Holder {
            #[serde(default, deserialize_with = "optional_object")]
            selection: Option<Selection>,
        }
        let some: Holder = serde_json::from_str(
            r#"{"selection":{"policy":"semver","include_prereleases":false}}"#,
        )
        .unwrap();
        assert!(some.selection.is_some());
        let none: Holder = serde_json::from_str(r#"{"selection":null}"#).unwrap();
        assert!(none.selection.is_none());
        let absent: Holder = serde_json::from_str("{}").unwrap();
        assert!(absent.selection.is_none());
        assert!(serde_json::from_str::<Holder>(r#"{"selection":["semver",false]}"#).is_err());
    }
}
