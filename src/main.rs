fn main() {
    layerlab_app::start();
}
