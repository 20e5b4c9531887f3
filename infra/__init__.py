"""What CloudFormation creates for letterbox (template.yaml), and the reader both deploy/ and devstack/ use."""
