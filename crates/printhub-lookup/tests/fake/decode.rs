//! Reading a printed label back: the QR codes (rqrr) and the DataMatrix
//! (rxing) a 1-bit label carries. Shared by the lookup and end-to-end tests
//! (`#[path]`-included).

use printhub_raster::Bitmap;

pub fn decode_qr(bitmap: &Bitmap) -> Vec<String> {
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(bitmap.width(), bitmap.height(), |x, y| {
            if bitmap.get(x, y) {
                0
            } else {
                255
            }
        });
    img.detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, s)| s))
        .collect()
}

pub fn decode_datamatrix(bitmap: &Bitmap) -> Option<String> {
    let border = 16;
    let (w, h) = (bitmap.width() + 2 * border, bitmap.height() + 2 * border);
    let mut luma = vec![255u8; w * h];
    for y in 0..bitmap.height() {
        for x in 0..bitmap.width() {
            if bitmap.get(x, y) {
                luma[(y + border) * w + x + border] = 0;
            }
        }
    }
    rxing::helpers::detect_in_luma(
        luma,
        w as u32,
        h as u32,
        Some(rxing::BarcodeFormat::DATA_MATRIX),
    )
    .ok()
    .map(|r| r.getText().to_string())
}
