//! MQTT against a real broker (placeholder until the modules land).
