//! `GET /api/devices`: the USB printer devices this machine has, for the
//! place printers are added (issue #26). Each is a `/dev/usb/lp*` node with
//! the model its IEEE 1284 device id names (read by the kernel into sysfs),
//! and whether printhub knows that model; a device path goes in a printer's
//! `address`. The scan runs off the HTTP thread (`web::block`); where it
//! looks is [`DeviceDirs`] (the system's by default, a test's own folders
//! through `app_data`).

use std::path::PathBuf;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Where device nodes and their sysfs entries are.
#[derive(Debug, Clone)]
pub struct DeviceDirs {
    /// The folder of the `lp*` nodes (`/dev/usb`).
    pub dev: PathBuf,
    /// The folder of their sysfs entries (`/sys/class/usbmisc`).
    pub sysfs: PathBuf,
}

impl Default for DeviceDirs {
    fn default() -> Self {
        DeviceDirs {
            dev: PathBuf::from("/dev/usb"),
            sysfs: PathBuf::from("/sys/class/usbmisc"),
        }
    }
}

/// One USB printer device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeviceView {
    /// The device node, to use as a printer's `address`.
    pub path: String,
    /// The model its IEEE 1284 device id names, if the kernel has the id.
    pub model: Option<String>,
    /// Whether printhub knows that model (it can be added as it is).
    pub known_model: bool,
    /// The raw IEEE 1284 device id (`MFG:Brother;CMD:PT-CBP;MDL:QL-700;…`).
    pub ieee1284_id: Option<String>,
}

/// `GET /api/devices`.
pub(crate) async fn list_devices(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let dirs = req
        .app_data::<web::Data<DeviceDirs>>()
        .map(|d| d.get_ref().clone())
        .unwrap_or_default();
    let found =
        web::block(move || printhub_actors::device::find_devices(&dirs.dev, &dirs.sysfs)).await?;
    let devices: Vec<DeviceView> = found
        .into_iter()
        .map(|d| {
            let model = d.model().map(str::to_owned);
            DeviceView {
                path: d.path.display().to_string(),
                known_model: model
                    .as_deref()
                    .is_some_and(|m| printhub_raster::Model::by_name(m).is_some()),
                model,
                ieee1284_id: d.ieee1284_id,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(devices))
}
